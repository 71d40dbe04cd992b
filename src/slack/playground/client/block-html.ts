import { escapeHtml } from './html.js';
import { mrkdwnHtml, NO_NAMES, plainTextHtml, type Names } from './mrkdwn-html.js';

/**
 * Block Kit → HTML, to Slack's look: header, section (text, fields, accessory), context, divider,
 * actions, image, and legacy attachments with their colour bar. Input is whatever the bot sent,
 * so every field is read defensively: an unknown block shows as such, never breaks the page.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A text object: mrkdwn through the parser, plain_text with emoji shortcodes. */
export function textObjectHtml(value: unknown, names: Names = NO_NAMES): string {
  if (!isObject(value)) return '';
  if (value.type === 'mrkdwn') return mrkdwnHtml(str(value.text), names);
  return plainTextHtml(str(value.text), value.emoji !== false);
}

/**
 * What a button carries to the client: enough to send the block_actions Slack would, and the
 * confirm dialog's words. Serialised into a data attribute (escaped as any attribute).
 */
export interface ButtonData {
  action_id: string;
  block_id: string;
  value: string;
  text: string;
  confirm?: { title: string; text: string; confirm: string; deny: string; style?: string };
}

function confirmData(value: unknown): ButtonData['confirm'] {
  if (!isObject(value)) return undefined;
  const plain = (v: unknown, fallback: string) => (isObject(v) ? str(v.text) : '') || fallback;
  return {
    title: plain(value.title, 'Are you sure?'),
    text: plain(value.text, ''),
    confirm: plain(value.confirm, 'Yes'),
    deny: plain(value.deny, 'Cancel'),
    ...(typeof value.style === 'string' ? { style: value.style } : {}),
  };
}

function buttonHtml(element: Json, blockId: string): string {
  const label = isObject(element.text) ? str(element.text.text) : '';
  const data: ButtonData = {
    action_id: str(element.action_id),
    block_id: blockId,
    value: str(element.value),
    text: label,
    ...(element.confirm ? { confirm: confirmData(element.confirm)! } : {}),
  };
  const style = element.style === 'primary' || element.style === 'danger' ? ` ${element.style}` : '';
  if (typeof element.url === 'string' && /^https?:/i.test(element.url)) {
    return `<a class="sk-button${style}" href="${escapeHtml(element.url)}" target="_blank" rel="noopener noreferrer">${textObjectHtml(element.text)}</a>`;
  }
  return `<button type="button" class="sk-button${style}" data-action="${escapeHtml(JSON.stringify(data))}">${textObjectHtml(element.text)}</button>`;
}

function elementHtml(element: Json, blockId: string, names: Names): string {
  switch (element.type) {
    case 'button':
      return buttonHtml(element, blockId);
    case 'image':
      return imageHtml(element, 'sk-context-image');
    case 'mrkdwn':
    case 'plain_text':
      return `<span class="sk-context-text">${textObjectHtml(element, names)}</span>`;
    default:
      return `<span class="sk-unsupported">[${escapeHtml(str(element.type) || 'element')}]</span>`;
  }
}

function imageHtml(element: Json, className: string): string {
  const url = str(element.image_url);
  if (!/^https?:/i.test(url)) return '';
  return `<img class="${className}" src="${escapeHtml(url)}" alt="${escapeHtml(str(element.alt_text))}">`;
}

function optionKey(option: Json): string {
  return str(option.value);
}

/**
 * An input block: plain text inputs, checkboxes, radio buttons and static selects are real inputs
 * (initial values ticked); the client sends them back as the view's state, by block and action id.
 * Any other element shows as not supported.
 */
function inputHtml(block: Json, blockId: string, names: Names): string {
  const element = isObject(block.element) ? block.element : {};
  const actionId = str(element.action_id);
  const label = textObjectHtml(block.label, names);
  const data = `data-block="${escapeHtml(blockId)}" data-input="${escapeHtml(actionId)}"`;
  const placeholder = escapeHtml(str(isObject(element.placeholder) ? element.placeholder.text : ''));
  const options = list(element.options);
  switch (element.type) {
    case 'plain_text_input': {
      const max = typeof element.max_length === 'number' ? ` maxlength="${element.max_length}"` : '';
      return `<label class="sk-input"><span class="sk-input-label">${label}</span><input type="text" ${data}${max} placeholder="${placeholder}"></label>`;
    }
    case 'checkboxes':
    case 'radio_buttons': {
      const initial = new Set((element.type === 'checkboxes' ? list(element.initial_options) : isObject(element.initial_option) ? [element.initial_option] : []).map(optionKey));
      const kind = element.type === 'checkboxes' ? 'checkbox' : 'radio';
      const name = escapeHtml(`${blockId}/${actionId}`);
      const choices = options
        .map((o) => {
          const description = isObject(o.description) ? `<span class="sk-choice-description">${textObjectHtml(o.description, names)}</span>` : '';
          return `<label class="sk-choice"><input type="${kind}" name="${name}" value="${escapeHtml(optionKey(o))}"${initial.has(optionKey(o)) ? ' checked' : ''}><span>${textObjectHtml(o.text, names)}${description}</span></label>`;
        })
        .join('');
      return `<fieldset class="sk-input sk-choices" ${data} data-kind="${element.type}"><legend class="sk-input-label">${label}</legend>${choices}</fieldset>`;
    }
    case 'static_select': {
      const initial = isObject(element.initial_option) ? optionKey(element.initial_option) : undefined;
      const choices = options.map((o) => `<option value="${escapeHtml(optionKey(o))}"${optionKey(o) === initial ? ' selected' : ''}>${plainTextHtml(isObject(o.text) ? str(o.text.text) : '')}</option>`).join('');
      return `<label class="sk-input"><span class="sk-input-label">${label}</span><select ${data} data-kind="static_select"><option value=""${initial === undefined ? ' selected' : ''}>${placeholder || 'Choose…'}</option>${choices}</select></label>`;
    }
    default:
      return `<div class="sk-unsupported">${label}: [${escapeHtml(str(element.type) || 'input')}]</div>`;
  }
}

export function blockHtml(block: Json, names: Names = NO_NAMES): string {
  const blockId = str(block.block_id);
  switch (block.type) {
    case 'header':
      return `<div class="sk-header">${textObjectHtml(block.text, names)}</div>`;
    case 'divider':
      return '<hr class="sk-divider">';
    case 'section': {
      const text = block.text ? `<div class="sk-section-text">${textObjectHtml(block.text, names)}</div>` : '';
      const fields = list(block.fields);
      const fieldsHtml = fields.length > 0 ? `<div class="sk-fields">${fields.map((f) => `<div class="sk-field">${textObjectHtml(f, names)}</div>`).join('')}</div>` : '';
      const accessory = isObject(block.accessory) ? `<div class="sk-accessory">${elementHtml(block.accessory, blockId, names)}</div>` : '';
      return `<div class="sk-section"><div class="sk-section-body">${text}${fieldsHtml}</div>${accessory}</div>`;
    }
    case 'context':
      return `<div class="sk-context">${list(block.elements).map((e) => elementHtml(e, blockId, names)).join('')}</div>`;
    case 'actions':
      return `<div class="sk-actions">${list(block.elements).map((e) => elementHtml(e, blockId, names)).join('')}</div>`;
    case 'image':
      return `<div class="sk-image">${imageHtml(block, 'sk-image-img')}</div>`;
    case 'input':
      return inputHtml(block, blockId, names);
    default:
      return `<div class="sk-unsupported">[${escapeHtml(str(block.type) || 'block')} block]</div>`;
  }
}

export function blocksHtml(blocks: unknown, names: Names = NO_NAMES): string {
  return list(blocks).map((b) => blockHtml(b, names)).join('');
}

const NAMED_COLOURS: Record<string, string> = { good: '#2eb67d', warning: '#ecb22e', danger: '#e01e5a' };

/** An attachment's bar colour: a name Slack knows or a hex colour, else Slack's grey. */
export function attachmentColour(value: unknown): string {
  const colour = str(value);
  if (NAMED_COLOURS[colour]) return NAMED_COLOURS[colour];
  if (/^#?[0-9a-f]{6}$/i.test(colour)) return colour.startsWith('#') ? colour : `#${colour}`;
  return '#dddddd';
}

export function attachmentsHtml(attachments: unknown, names: Names = NO_NAMES): string {
  return list(attachments)
    .map((a) => {
      const body = Array.isArray(a.blocks)
        ? blocksHtml(a.blocks, names)
        : [
            a.title ? `<div class="sk-attachment-title">${plainTextHtml(str(a.title))}</div>` : '',
            a.text ? `<div>${mrkdwnHtml(str(a.text), names)}</div>` : '',
            ...list(a.fields).map((f) => `<div class="sk-field"><b>${plainTextHtml(str(f.title))}</b><br>${mrkdwnHtml(str(f.value), names)}</div>`),
          ].join('');
      return `<div class="sk-attachment" data-colour="${attachmentColour(a.color)}">${body}</div>`;
    })
    .join('');
}

