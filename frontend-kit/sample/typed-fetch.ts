// A typed client of the Grades API: openapi-fetch with the types generated from the spec.
// `tsc --noEmit` (make test) checks it, so a change of the spec that breaks a client's
// code breaks this first.
import createClient from "openapi-fetch";
import type { GradeRecord, paths } from "grades-frontend-kit";

export async function passedLearners(baseUrl: string, token: string, courseId: string): Promise<string[]> {
  const client = createClient<paths>({ baseUrl });
  const { data, error, response } = await client.GET("/api/so2/v1/grades", {
    params: { query: { course_id: courseId } },
    headers: { Authorization: `Bearer ${token}` },
  });
  if (error !== undefined) {
    const detail: string = error.detail; // the spec's Error: one readable message
    throw new Error(`${response.status}: ${detail}`);
  }
  const records: GradeRecord[] = data;
  return records.filter((r) => r.passed_timestamp !== null).map((r) => r.username);
}
