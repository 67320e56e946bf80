import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { waitOption } from './format';

function parseWait(args: string[]): { wait?: number; error?: string } {
  let error: string | undefined;
  const program = new Command().exitOverride().configureOutput({ writeErr: (s) => { error = s; }, writeOut: () => {} }).addOption(waitOption());
  try {
    program.parse(args, { from: 'user' });
  } catch {
    return { error: error ?? 'failed' };
  }
  return { wait: program.opts<{ wait: number }>().wait };
}

describe('--wait [seconds]', () => {
  it('waits 30 s when absent or given alone, and the given seconds otherwise', () => {
    expect(parseWait([])).toEqual({ wait: 30 });
    expect(parseWait(['--wait'])).toEqual({ wait: 30 });
    expect(parseWait(['--wait', '2.5'])).toEqual({ wait: 2.5 });
    expect(parseWait(['--wait', '0'])).toEqual({ wait: 0 });
  });

  it('refuses what is not a number of seconds, saying what it got', () => {
    for (const bad of ['x', '-1', '']) expect(parseWait(['--wait', bad]).error).toContain(`got "${bad}"`);
  });
});
