import type { PageOf } from '../schemas/common.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  pageNum: number;
  pageSize: number;
  offset: number;
}

/** Defaults and the clamp of docs/api.md, Paging (range checks are the schema's). */
export function pageRequest(pageNum: number | undefined, pageSize: number | undefined): PageRequest {
  const num = pageNum ?? 1;
  const size = Math.min(pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return { pageNum: num, pageSize: size, offset: (num - 1) * size };
}

export function pageOf<T>(request: PageRequest, totalElements: number, content: T[]): PageOf<T> {
  return {
    number: request.pageNum,
    pageSize: request.pageSize,
    totalElements,
    pages: Math.ceil(totalElements / request.pageSize),
    content,
  };
}
