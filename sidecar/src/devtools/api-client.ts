// A small typed REST client for tests: every response is checked against its shared schema.
import type { z } from "zod";
import { CreateJobsResponse, Job, type CreateJobsRequest } from "@esphome-forge/shared";

export class Api {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.token}`, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
    return fetch(this.url + "/api/v1" + path, init);
  }

  async json<T>(method: string, path: string, body?: unknown, schema?: z.ZodType<T>): Promise<T> {
    const res = await this.raw(method, path, body);
    const data: unknown = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(data)}`);
    return schema ? schema.parse(data) : (data as T);
  }

  createJobs(req: CreateJobsRequest) {
    return this.json("POST", "/jobs", req, CreateJobsResponse);
  }

  job(id: number) {
    return this.json("GET", `/jobs/${id}`, undefined, Job);
  }

  async log(id: number): Promise<string> {
    return (await this.raw("GET", `/jobs/${id}/log`)).text();
  }
}
