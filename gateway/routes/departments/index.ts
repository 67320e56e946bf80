import { endpoints } from '../../../proto/api';
import { listDepartments } from '../../services/department/list-departments';
import { createRouter, requestContext, route } from '../env';

/** GET /v1/departments: each department's health, version, categories and this replica's calls to it. */
export function departmentRoutes() {
  return createRouter().openapi(route(endpoints.listDepartments), async (c) => c.json(await listDepartments({ ctx: requestContext(c) }), 200));
}
