import { describe, expect, it } from 'vitest';
import { formatSlackDate, mrkdwnHtml, plainTextHtml, type Names } from '../../../../src/slack/playground/client/mrkdwn-html.js';
import { attachmentColour, attachmentsHtml, blocksHtml } from '../../../../src/slack/playground/client/block-html.js';

const NAMES: Names = { user: (id) => ({ U0BOB: 'bob' })[id], channel: (id) => ({ C0PLAYGROUND: 'playground' })[id], usergroup: (id) => ({ S0OPS: 'ops' })[id] };

describe('mrkdwn to HTML', () => {
  it('renders bold, italics, strike, code, code blocks and links', () => {
    expect(mrkdwnHtml('*bold* _it_ ~gone~ `x < y`')).toBe('<b>bold</b> <i>it</i> <s>gone</s> <code>x &lt; y</code>');
    expect(mrkdwnHtml('```\nline 1\nline 2```')).toBe('<pre>line 1\nline 2</pre>');
    expect(mrkdwnHtml('<https://example.test/a?b=1&amp;c=2|the log>')).toBe('<a href="https://example.test/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">the log</a>');
  });

  it('shows <@U…> as @names, channels as #names, usergroups and broadcasts as text', () => {
    expect(mrkdwnHtml('<@U0BOB> in <#C0PLAYGROUND> for <!subteam^S0OPS>', NAMES)).toBe(
      '<span class="mention" data-user="U0BOB">@bob</span> in <span class="mention">#playground</span> for <span class="mention">@ops</span>',
    );
    expect(mrkdwnHtml('<@U0NOBODY>', NAMES)).toContain('@U0NOBODY');
    expect(mrkdwnHtml('&lt;!channel&gt; <!here>')).toBe('&lt;!channel&gt; <span class="mention broadcast">@here</span>');
  });

  it('formats <!date^…> in this machine’s time zone, with its tokens', () => {
    const at = new Date(2024, 0, 2, 15, 4, 5);
    const seconds = Math.floor(at.getTime() / 1000);
    expect(mrkdwnHtml(`<!date^${seconds}^{date_num} {time_secs}|fallback>`)).toMatch(/<time datetime="[^"]+"[^>]*>2024-01-02 3:04:05\s?PM<\/time>/);
    expect(formatSlackDate(at, '{date_short_pretty} at {time}', new Date(2024, 0, 2, 18, 0, 0))).toMatch(/^today at 3:04\s?PM$/);
    expect(formatSlackDate(at, '{date_long}')).toBe('Tuesday, January 2, 2024');
    expect(formatSlackDate(at, '{ago}', new Date(at.getTime() + 3 * 60_000))).toBe('3 minutes ago');
  });

  it('turns emoji shortcodes into emoji, leaving unknown ones as typed', () => {
    expect(mrkdwnHtml(':white_check_mark: :no_such_emoji:')).toBe('<span class="emoji" title=":white_check_mark:">✅</span> :no_such_emoji:');
    expect(plainTextHtml('Deploy :rocket:')).toContain('🚀');
    expect(plainTextHtml('Deploy :rocket:', false)).toBe('Deploy :rocket:');
  });

  it('never lets text become markup: step output, link targets and labels are escaped', () => {
    const hostile = '<script>alert(1)</script> &lt;img src=x onerror=alert(1)&gt; "quoted" \'single\'';
    const html = mrkdwnHtml(hostile);
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mrkdwnHtml('<javascript:alert(1)|click>')).not.toContain('href');
    expect(mrkdwnHtml('```<b>not bold</b>```')).toBe('<pre>&lt;b&gt;not bold&lt;/b&gt;</pre>');
    expect(plainTextHtml('<b>"x"</b>')).toBe('&lt;b&gt;&quot;x&quot;&lt;/b&gt;');
  });
});

describe('Block Kit to HTML', () => {
  it('renders header, section text and fields, context, divider and buttons with their styles and confirm', () => {
    const html = blocksHtml([
      { type: 'header', text: { type: 'plain_text', text: 'Deploy :rocket:' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*sim-east* passed' }, fields: [{ type: 'mrkdwn', text: '*Cloud*' }, { type: 'plain_text', text: 'east-1' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'run `d1`' }] },
      { type: 'divider' },
      {
        type: 'actions',
        block_id: 'approval:d1',
        elements: [
          { type: 'button', action_id: 'deploy_approve', value: 'd1', style: 'primary', text: { type: 'plain_text', text: 'Approve' } },
          {
            type: 'button',
            action_id: 'deploy_destroy',
            value: 'd1',
            style: 'danger',
            text: { type: 'plain_text', text: 'Destroy' },
            confirm: { title: { type: 'plain_text', text: 'Destroy?' }, text: { type: 'plain_text', text: 'Sure?' }, confirm: { type: 'plain_text', text: 'Destroy' }, deny: { type: 'plain_text', text: 'Keep it' }, style: 'danger' },
          },
        ],
      },
      { type: 'rich_text', elements: [] },
    ]);
    expect(html).toContain('<div class="sk-header">Deploy <span class="emoji" title=":rocket:">🚀</span></div>');
    expect(html).toContain('<div class="sk-section-text"><b>sim-east</b> passed</div>');
    expect(html).toContain('<div class="sk-fields"><div class="sk-field"><b>Cloud</b></div><div class="sk-field">east-1</div></div>');
    expect(html).toContain('<div class="sk-context"><span class="sk-context-text">run <code>d1</code></span></div>');
    expect(html).toContain('<hr class="sk-divider">');
    expect(html).toMatch(/<button type="button" class="sk-button primary" data-action="[^"]*deploy_approve[^"]*">Approve<\/button>/);
    const destroy = /<button type="button" class="sk-button danger" data-action="([^"]*)">Destroy<\/button>/.exec(html)![1]!;
    expect(JSON.parse(destroy.replaceAll('&quot;', '"'))).toEqual({
      action_id: 'deploy_destroy',
      block_id: 'approval:d1',
      value: 'd1',
      text: 'Destroy',
      confirm: { title: 'Destroy?', text: 'Sure?', confirm: 'Destroy', deny: 'Keep it', style: 'danger' },
    });
    expect(html).toContain('[rich_text block]');
  });

  it('draws attachments with their colour bar, from Slack’s names or hex only', () => {
    expect(attachmentsHtml([{ color: '#2eb67d', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'ok' } }] }])).toContain('data-colour="#2eb67d"');
    expect(attachmentColour('danger')).toBe('#e01e5a');
    expect(attachmentColour('e01e5a')).toBe('#e01e5a');
    expect(attachmentColour('red;background:url(x)')).toBe('#dddddd');
    expect(attachmentsHtml([{ title: 'CI', text: '*failed*', fields: [{ title: 'Branch', value: '`main`' }] }])).toContain('<b>failed</b>');
  });

  it('survives whatever it is sent', () => {
    expect(blocksHtml('not blocks')).toBe('');
    expect(blocksHtml([null, 3, { type: 'section' }, { type: 'actions', elements: [{ type: 'static_select' }] }])).toContain('[static_select]');
  });

  it('types plain text inputs of a modal, escaped, and shows inputs it cannot fill as not supported', () => {
    const html = blocksHtml([
      { type: 'input', block_id: 'confirm', label: { type: 'plain_text', text: 'Type <aws>' }, element: { type: 'plain_text_input', action_id: 'names', max_length: 200 } },
      { type: 'input', block_id: 'when', label: { type: 'plain_text', text: 'When' }, element: { type: 'datepicker', action_id: 'when' } },
    ]);
    expect(html).toContain('data-block="confirm" data-input="names" maxlength="200"');
    expect(html).toContain('Type &lt;aws&gt;');
    expect(html).toContain('When: [datepicker]');
    expect(html).not.toContain('data-block="when"');
  });

  it('renders checkboxes, radio buttons and static selects as real inputs, initial options chosen, escaped', () => {
    const option = (value: string, text: string) => ({ text: { type: 'plain_text', text }, value });
    const html = blocksHtml([
      { type: 'input', block_id: 'clouds', label: { type: 'plain_text', text: 'Clouds' }, element: { type: 'checkboxes', action_id: 'clouds', options: [option('aws', 'aws'), option('g"cp', '<gcp>')], initial_options: [option('g"cp', '<gcp>')] } },
      { type: 'input', block_id: 'life', label: { type: 'plain_text', text: 'Lifetime' }, element: { type: 'radio_buttons', action_id: 'life', options: [option('stays', 'Stays'), option('keep', 'Kept')], initial_option: option('stays', 'Stays') } },
      { type: 'input', block_id: 'env', label: { type: 'plain_text', text: 'Env' }, element: { type: 'static_select', action_id: 'env', placeholder: { type: 'plain_text', text: 'Pick' }, options: [option('dev', 'Dev'), option('prod', 'Prod')], initial_option: option('prod', 'Prod') } },
    ]);
    expect(html).toContain('<fieldset class="sk-input sk-choices" data-block="clouds" data-input="clouds" data-kind="checkboxes">');
    expect(html).toContain('<input type="checkbox" name="clouds/clouds" value="aws">');
    expect(html).toContain('<input type="checkbox" name="clouds/clouds" value="g&quot;cp" checked><span>&lt;gcp&gt;</span>');
    expect(html).toContain('data-kind="radio_buttons"');
    expect(html).toContain('<input type="radio" name="life/life" value="stays" checked>');
    expect(html).toContain('<input type="radio" name="life/life" value="keep">');
    expect(html).toContain('<select data-block="env" data-input="env" data-kind="static_select"><option value="">Pick</option><option value="dev">Dev</option><option value="prod" selected>Prod</option></select>');
    expect(html).not.toContain('[checkboxes]');
  });
});
