import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { CsvFormatError, CsvRecordParser, csvRecordStream, parseCsvRecords } from '../../../lib/salesforce/csv-records.js';

/** Text with every case a Bulk API result file can hold. */
const AWKWARD = [
  '"Id","Name","Description","Amount__c","Flag__c"',
  '"001A","Plain","",12.5,true',
  '001B,"Comma, inside","Line one\nline two",-3,false',
  '"001C","Quote ""here""","CRLF\r\ninside","",#N/A',
  '"001D","ünïcödé ✓ 😀","""starts and ends with quotes""","0",',
  '001E,,"",,',
].join('\n');

describe('CSV records of Bulk API files (csv-records)', () => {
  it('reads what a general CSV parser reads, quotes, line breaks, empty fields and all', () => {
    const expected = parse(AWKWARD, { columns: true, bom: true }) as Array<Record<string, string>>;
    expect(parseCsvRecords(AWKWARD)).to.deep.equal(expected);
    expect(parseCsvRecords(`\ufeff${AWKWARD}\n`), 'with a byte order mark and a last line end').to.deep.equal(expected);
    expect(parseCsvRecords(AWKWARD.replace(/\n(?=")|\n(?=001)/g, '\r\n')), 'with CRLF line ends').to.deep.equal(expected);
    expect(expected).to.have.length(5);
    expect(expected[2]!.Description).to.equal('CRLF\r\ninside');
  });

  it('gives the same records however the text is cut into pieces, even inside a quote pair or a CRLF', () => {
    const text = `${AWKWARD.replace(/\n(?=001)/g, '\r\n')}\r\n`;
    const whole = parseCsvRecords(text);
    expect(whole).to.have.length(5);
    for (let cut = 1; cut < text.length; cut++) {
      const p = new CsvRecordParser();
      const got = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut)), ...p.end()];
      expect(got, `cut at ${cut}: ${JSON.stringify(text.slice(cut - 2, cut + 2))}`).to.deep.equal(whole);
    }
    const p = new CsvRecordParser();
    const oneByOne = [...[...text].flatMap((ch) => p.push(ch)), ...p.end()];
    expect(oneByOne, 'one character at a time').to.deep.equal(whole);
  });

  it('decodes UTF-8 split across the chunks of a byte stream', async () => {
    const bytes = new TextEncoder().encode(AWKWARD);
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const got: Array<Record<string, string>> = [];
    for await (const group of csvRecordStream(chunks())) got.push(...group);
    expect(got).to.deep.equal(parseCsvRecords(AWKWARD));
    expect(got[3]!.Name).to.equal('ünïcödé ✓ 😀');
  });

  it('names the row of a field count that does not match the header, of an unclosed quote, or of text after a quote', () => {
    expect(() => parseCsvRecords('"a","b"\n1,2\n3,4,5\n')).to.throw(CsvFormatError, /row 3: 3 fields where the header has 2/);
    expect(() => parseCsvRecords('"a","b"\n1,"2\n')).to.throw(CsvFormatError, /row 2: a quoted field is not closed/);
    expect(() => parseCsvRecords('"a","b"\n"1"x,2\n')).to.throw(CsvFormatError, /row 2: text after the closing quote/);
    // Result files of ingest jobs may carry fewer columns than the header: kept when asked.
    expect(parseCsvRecords('"a","b","c"\n1,2\n', false)).to.deep.equal([{ a: '1', b: '2' }]);
  });

  it('reads a header only, or nothing, as no records', () => {
    expect(parseCsvRecords('"Id","Name"\n')).to.deep.equal([]);
    expect(parseCsvRecords('')).to.deep.equal([]);
  });
});
