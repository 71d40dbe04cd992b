const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * XML entities decoded in one pass: fast-xml-parser's own pass leaves numeric references (bats
 * escapes every ' as &#39;) alone unless its deprecated HTML mode is on, and decoding twice would
 * turn a literal `&amp;lt;` into `<`.
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d+)|#x([0-9a-fA-F]+)|(lt|gt|amp|quot|apos));/g, (whole, dec?: string, hex?: string, named?: string) => {
    if (named !== undefined) return NAMED_ENTITIES[named] ?? whole;
    const codePoint = dec !== undefined ? Number(dec) : parseInt(hex ?? '', 16);
    return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : whole;
  });
}
