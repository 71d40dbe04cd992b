const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A moment as the bot's messages show it, in UTC: `14:05 UTC` on the same UTC day as `now`, and
 * `Thu 3 Dec 14:05 UTC` on any other (a deploy destroyed automatically in three days, a lock taken
 * last week: a bare time would read as today's).
 */
export function clock(epochMs: number, now: number = Date.now()): string {
  const at = new Date(epochMs);
  const iso = at.toISOString();
  const time = `${iso.slice(11, 16)} UTC`;
  if (iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10)) return time;
  return `${WEEKDAYS[at.getUTCDay()]} ${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${time}`;
}
