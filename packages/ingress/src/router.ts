import { RouteTable } from './route-table.js';

/** Holds the current table; `swap` replaces it atomically (in-flight requests keep theirs). */
export class Router {
  private current: RouteTable;
  constructor(table: RouteTable = new RouteTable([])) {
    this.current = table;
  }
  get table(): RouteTable {
    return this.current;
  }
  swap(table: RouteTable): RouteTable {
    const previous = this.current;
    this.current = table;
    return previous;
  }
}
