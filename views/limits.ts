import type {
  Button,
  ColorScheme,
  ConfirmationDialog,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  MessageAttachment,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';

/**
 * Slack's Block Kit limits, enforced here so no view can build a message Slack would reject.
 * https://api.slack.com/reference/block-kit — numbers as of the brief.
 */
export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  headerText: 150,
  buttonText: 75,
  actionId: 255,
  blockId: 255,
  contextElements: 10,
  fieldsPerSection: 10,
  fieldText: 2000,
  buttonValue: 2000,
  /** Modals and App Home (views.open, views.publish). */
  blocksPerView: 100,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3000,
  /** chat.postMessage `text` is truncated by Slack past 40k; keep the fallback short. */
  fallbackText: 3000,
} as const;

const ELLIPSIS = '…';

/** Cuts `text` to at most `max` characters, marking the cut. */
export function clamp(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, Math.max(0, max - ELLIPSIS.length)) + ELLIPSIS;
}

/** Keeps the end of `text` (logs: the last lines matter most). */
export function clampStart(text: string, max: number): string {
  if (text.length <= max) return text;
  return ELLIPSIS + text.slice(text.length - max + ELLIPSIS.length);
}

/**
 * Escapes the three characters Slack's mrkdwn treats as control characters: no `<@U…>`, `<!here>`,
 * `<#C…>` or `<url|label>` can come out of the text. Apply once, to the raw value, where it enters
 * a mrkdwn string (a second pass shows people `&lt;`).
 */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

const WORD_JOINER = '\u2060';

/** Where a Slack entity would start: `<@U…>`, `<!here>`, `<#C…>`, `<https:…|label>`. */
const ENTITY_START = /<(?=[@!#]|[a-z][a-z0-9+.-]*:)/gi;

/**
 * Text for `plain_text` objects (headers, buttons, dialogs) and attachment fallbacks, which Slack
 * shows as given: HTML-escaping would show `&lt;`. Slack does not parse mentions there; still, an
 * invisible word joiner after a `<` that would start an entity leaves no `<@…`, `<!…` or `<http…`
 * for any client, log reader or later change to mrkdwn to act on, while people see the same
 * characters. Only those `<` are touched, so other text stays as written (and redactable). Idempotent.
 */
export function plainText(text: string): string {
  return text.replace(ENTITY_START, `<${WORD_JOINER}`);
}

/** Inline code that a backtick in the value cannot end early; escaped once. */
export function inlineCode(value: string): string {
  return `\`${escapeMrkdwn(value.replaceAll('`', "'"))}\``;
}

/** A code block whose content (with its fences) fits a section; the end of the text is kept. */
export function codeBlock(text: string, max = LIMITS.sectionText): string {
  const fence = '```';
  const safe = escapeMrkdwn(text.replaceAll(fence, "'''"));
  return fence + clampStart(safe, max - fence.length * 2 - 2) + '\n' + fence;
}

/** Every limit a message's blocks break, as readable lines; empty when the message is valid. */
export function limitViolations(blocks: readonly KnownBlock[]): string[] {
  const problems: string[] = [];
  if (blocks.length > LIMITS.blocksPerMessage) problems.push(`${blocks.length} blocks > ${LIMITS.blocksPerMessage}`);
  blocks.forEach((block, i) => {
    if (block.type === 'section' && block.text) {
      const text = block.text.text;
      if (text.length > LIMITS.sectionText) problems.push(`blocks[${i}] section text ${text.length} > ${LIMITS.sectionText}`);
      if (text.length === 0) problems.push(`blocks[${i}] section text is empty`);
    }
    if (block.type === 'header' && block.text.text.length > LIMITS.headerText) {
      problems.push(`blocks[${i}] header text ${block.text.text.length} > ${LIMITS.headerText}`);
    }
    if (block.block_id !== undefined && block.block_id.length > LIMITS.blockId) problems.push(`blocks[${i}] block_id too long`);
    if (block.type === 'section' && block.fields) {
      if (block.fields.length > LIMITS.fieldsPerSection) problems.push(`blocks[${i}] ${block.fields.length} fields > ${LIMITS.fieldsPerSection}`);
      block.fields.forEach((f, j) => {
        if (f.text.length > LIMITS.fieldText) problems.push(`blocks[${i}].fields[${j}] ${f.text.length} > ${LIMITS.fieldText}`);
      });
    }
    if (block.type === 'context' && block.elements.length > LIMITS.contextElements) {
      problems.push(`blocks[${i}] ${block.elements.length} context elements > ${LIMITS.contextElements}`);
    }
    if (block.type === 'actions') {
      block.elements.forEach((el, j) => {
        if (el.type === 'button' && el.text.text.length > LIMITS.buttonText) problems.push(`blocks[${i}].elements[${j}] button text ${el.text.text.length} > ${LIMITS.buttonText}`);
        if (el.action_id !== undefined && el.action_id.length > LIMITS.actionId) problems.push(`blocks[${i}].elements[${j}] action_id too long`);
        if (el.type === 'button' && el.value !== undefined && el.value.length > LIMITS.buttonValue) problems.push(`blocks[${i}].elements[${j}] value too long`);
      });
    }
  });
  return problems;
}

/** Keeps a message within the block limit: the last block says how many were left out. */
export function capBlocks(blocks: KnownBlock[], max: number = LIMITS.blocksPerMessage): KnownBlock[] {
  if (blocks.length <= max) return blocks;
  const kept = blocks.slice(0, max - 1);
  kept.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…${blocks.length - kept.length} more blocks not shown` }] });
  return kept;
}

/*
 * mrkdwn texts are `verbatim`: Slack then links only what a view wrote as `<…>` itself, and does not
 * turn a commit subject's bare `#channel` or `@name` into a link or a mention.
 */

function mrkdwn(text: string, max: number): MrkdwnElement {
  return { type: 'mrkdwn', text: clamp(text, max), verbatim: true };
}

/** `text` is raw: plain text objects are shown as given (see plainText). */
/** A plain-text object, cut to `max` (modal titles, inputs' labels, placeholders). */
export function plain(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: clamp(plainText(text), max), emoji: true };
}

export function section(text: string, extra: Omit<SectionBlock, 'type' | 'text'> = {}): SectionBlock {
  return { type: 'section', text: mrkdwn(text === '' ? ' ' : text, LIMITS.sectionText), ...extra };
}

/** `text` is raw: headers are plain text (see plainText). */
export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(text, LIMITS.headerText) };
}

export function context(texts: string[]): ContextBlock {
  return { type: 'context', elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwn(t, LIMITS.fieldText)) };
}

/** `text` is raw: button labels are plain text (see plainText). */
export function button(text: string, actionId: string, value: string, style?: ColorScheme, confirm?: ConfirmationDialog): Button {
  return {
    type: 'button',
    text: plain(text, LIMITS.buttonText),
    action_id: clamp(actionId, LIMITS.actionId),
    value: clamp(value, LIMITS.buttonValue),
    ...(style ? { style } : {}),
    ...(confirm ? { confirm } : {}),
  };
}

/**
 * A legacy attachment, used only for its colour bar (`good`, `warning`, `danger` or `#rrggbb`); its
 * content is blocks, held to the same limits as a message's. Narrower than Slack's
 * MessageAttachment (which also takes unknown blocks) so limitViolations can check them.
 */
export interface Attachment extends MessageAttachment {
  color: string;
  blocks: KnownBlock[];
  /** Shown where blocks cannot be (notifications, old clients). */
  fallback?: string;
}

export interface Message {
  text: string;
  blocks: KnownBlock[];
  attachments?: Attachment[];
}

/** Re-applies the text limits to built blocks (after a pass such as redaction changed their text). */
export function enforceLimits(blocks: KnownBlock[]): KnownBlock[] {
  return capBlocks(
    blocks.map((block) => {
      if (block.type === 'header' && block.text.text.length > LIMITS.headerText) {
        return { ...block, text: { ...block.text, text: clamp(block.text.text, LIMITS.headerText) } };
      }
      if (block.type === 'section' && block.text && block.text.text.length > LIMITS.sectionText) {
        return { ...block, text: { ...block.text, text: clamp(block.text.text, LIMITS.sectionText) } };
      }
      return block;
    }),
  );
}

/** Lines joined into as few sections as the text limit allows, never splitting a line. */
export function linesToSections(lines: string[]): SectionBlock[] {
  const blocks: SectionBlock[] = [];
  let current = '';
  for (const raw of lines) {
    const line = clamp(raw, LIMITS.sectionText);
    if (current !== '' && current.length + 1 + line.length > LIMITS.sectionText) {
      blocks.push(section(current));
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') blocks.push(section(current));
  return blocks;
}
