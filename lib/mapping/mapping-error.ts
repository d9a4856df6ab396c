/**
 * A mapping that cannot be used, with every problem found rather than the first: whoever fixes
 * the document (an admin in the editor, or at deploy) wants the whole list in one go.
 */
export class MappingError extends Error {
  override readonly name = 'MappingError';

  constructor(
    readonly problems: string[],
    /** Doubts that do not stop the mapping, reported alongside so nothing is lost. */
    readonly warnings: string[] = [],
    subject = 'mapping',
  ) {
    super(MappingError.summary(subject, problems));
  }

  private static summary(subject: string, problems: string[]): string {
    if (problems.length === 1) return `Invalid ${subject}: ${problems[0]}`;
    return `Invalid ${subject} (${problems.length} problems): ${problems.join('; ')}`;
  }
}
