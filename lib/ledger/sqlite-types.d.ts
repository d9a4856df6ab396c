/**
 * The part of better-sqlite3's API the ledger uses. The package ships no types and
 * `@types/better-sqlite3` is not a dependency, so this ambient declaration stands in; if the
 * DefinitelyTyped package is added later, delete this file (its names match).
 */
declare module 'better-sqlite3' {
  namespace Database {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }

    interface Statement<P extends unknown[] = unknown[], R = unknown> {
      readonly source: string;
      readonly reader: boolean;
      run(...params: P): RunResult;
      get(...params: P): R | undefined;
      all(...params: P): R[];
      iterate(...params: P): IterableIterator<R>;
      /** Rows as arrays of column values instead of objects (declare R as the tuple). */
      raw(toggle?: boolean): this;
      /** Only the first column of each row (declare R as that column's type). */
      pluck(toggle?: boolean): this;
    }

    interface Transaction<F extends (...args: never[]) => unknown> {
      (...args: Parameters<F>): ReturnType<F>;
      deferred(...args: Parameters<F>): ReturnType<F>;
      immediate(...args: Parameters<F>): ReturnType<F>;
      exclusive(...args: Parameters<F>): ReturnType<F>;
    }

    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      /** Milliseconds to wait for a lock before SQLITE_BUSY (busy_timeout). */
      timeout?: number;
      verbose?: (message?: unknown, ...more: unknown[]) => void;
      nativeBinding?: string;
    }

    interface PragmaOptions {
      simple?: boolean;
    }

    interface Database {
      readonly name: string;
      readonly open: boolean;
      readonly inTransaction: boolean;
      readonly memory: boolean;
      readonly readonly: boolean;
      prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R>;
      exec(sql: string): this;
      pragma(source: string, options?: PragmaOptions): unknown;
      transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
      close(): this;
    }

    interface SqliteError extends Error {
      code: string;
    }
  }

  interface DatabaseConstructor {
    new (filename?: string, options?: Database.Options): Database.Database;
    (filename?: string, options?: Database.Options): Database.Database;
    readonly SqliteError: new (message: string, code: string) => Database.SqliteError;
  }

  const Database: DatabaseConstructor;
  export = Database;
}
