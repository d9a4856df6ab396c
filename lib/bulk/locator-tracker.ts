/**
 * Where a bulk read may resume. A Bulk API query job's results come in pages, each fetched by a
 * locator ('' for the first) and split into batches; a batch is done once its writer acknowledged
 * it. A page is done when its last batch has been handed out and every one of its batches is done.
 * The resume point is the locator of the page after the last done page of an unbroken run from the
 * start, plus the number of records read up to it: a later page written first never moves it past
 * an earlier one still in flight, so a resumed read re-reads only pages not fully written (whose
 * written records the ledger's field hashes then make no-ops).
 */
export interface ResumePoint {
  /** Locator of the first page not fully written; null: every page is written. */
  locator: string | null;
  /** Records in the pages before it. */
  records: number;
}

/** A page as the tracker follows it; handed back to `done` for each of its batches. */
export interface LocatorPage {
  locator: string;
  next: string | null;
  open: number;
  records: number;
  /** Its last batch has been handed out. */
  complete: boolean;
}

export class LocatorTracker {
  private readonly pages: LocatorPage[] = [];
  private point: ResumePoint;

  constructor(start: ResumePoint = { locator: '', records: 0 }) {
    this.point = { ...start };
  }

  get resumePoint(): ResumePoint {
    return { ...this.point };
  }

  /** Pages handed out and not yet behind the resume point. */
  get openPages(): number {
    return this.pages.length;
  }

  /**
   * A batch of `records` from the page fetched with `locator` is handed out; `endOfPage` on the
   * page's last batch, with `next` the locator of the page after it. Answers the batch's token.
   */
  handedOut(locator: string, next: string | null, records: number, endOfPage: boolean): LocatorPage {
    let page = this.pages.find((p) => p.locator === locator && !p.complete);
    if (!page) {
      page = { locator, next, open: 0, records: 0, complete: false };
      this.pages.push(page);
    }
    page.open++;
    page.records += records;
    page.next = next;
    if (endOfPage) page.complete = true;
    return page;
  }

  /** A batch is written (or dead-lettered, or filtered): answers the resume point when it moved. */
  done(page: LocatorPage): ResumePoint | undefined {
    page.open = Math.max(0, page.open - 1);
    let moved = false;
    while (this.pages.length && this.pages[0]!.complete && this.pages[0]!.open === 0) {
      const p = this.pages.shift()!;
      this.point = { locator: p.next, records: this.point.records + p.records };
      moved = true;
    }
    return moved ? this.resumePoint : undefined;
  }
}
