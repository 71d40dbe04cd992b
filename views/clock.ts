const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A moment as the bot's messages show it, in UTC: `14:05 UTC` on the same UTC day as `now`, and
 * `Thu 3 Dec 14:05 UTC` on any other (a deploy destroyed automatically in three days, a lock taken
 * last week: a bare time would read as today's), and its year when that is not `now`'s.
 */
export function clock(epochMs: number, now: number = Date.now()): string {
  const at = new Date(epochMs);
  const iso = at.toISOString();
  const time = `${iso.slice(11, 16)} UTC`;
  const today = new Date(now).toISOString();
  if (iso.slice(0, 10) === today.slice(0, 10)) return time;
  const year = iso.slice(0, 4) === today.slice(0, 4) ? '' : ` ${iso.slice(0, 4)}`;
  return `${WEEKDAYS[at.getUTCDay()]} ${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]}${year} ${time}`;
}
