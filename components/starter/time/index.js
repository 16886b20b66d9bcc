// The `time` starter component (world `time` in wit/starter/time.wit), compiled by componentize-js.
// It reads the wall clock (Date.now). The engine carries no time-zone database, so the zones and
// their daylight-saving rules are here: today's rules for common zones, no history.

/** Thrown from an export returning result<T, E>: the payload becomes the err value. */
class ComponentError extends Error {
  constructor(payload) {
    super(payload);
    this.payload = payload;
  }
}

const HOUR = 3600000;

/** The UTC time of the n-th (n > 0) or last (n = -1) weekday of a month, at hour:00 UTC. */
function nthWeekday(year, month, weekday, n, hourUtc) {
  if (n > 0) {
    const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
    return Date.UTC(year, month, 1 + ((weekday - first + 7) % 7) + (n - 1) * 7, 0) + hourUtc * HOUR;
  }
  const lastDay = new Date(Date.UTC(year, month + 1, 0));
  const back = (lastDay.getUTCDay() - weekday + 7) % 7;
  return Date.UTC(year, month, lastDay.getUTCDate() - back) + hourUtc * HOUR;
}

/**
 * Daylight-saving rules: when the shift (+1 h) starts and ends in a year, in UTC, for a zone whose
 * standard offset is `std` minutes. Southern rules span the new year.
 */
const RULES = {
  // EU: last Sunday of March to last Sunday of October, at 01:00 UTC.
  eu: (year) => [nthWeekday(year, 2, 0, -1, 1), nthWeekday(year, 9, 0, -1, 1)],
  // US and Canada: second Sunday of March 02:00 to first Sunday of November 02:00, local time.
  us: (year, std) => [
    nthWeekday(year, 2, 0, 2, 2) - std * 60000,
    nthWeekday(year, 10, 0, 1, 2) - (std + 60) * 60000,
  ],
  // South-east Australia: first Sunday of October 02:00 to first Sunday of April 03:00, local time.
  au: (year, std) => [
    nthWeekday(year, 9, 0, 1, 2) - std * 60000,
    nthWeekday(year, 3, 0, 1, 3) - (std + 60) * 60000,
  ],
  // New Zealand: last Sunday of September 02:00 to first Sunday of April 03:00, local time.
  nz: (year, std) => [
    nthWeekday(year, 8, 0, -1, 2) - std * 60000,
    nthWeekday(year, 3, 0, 1, 3) - (std + 60) * 60000,
  ],
};

// name: [standard offset in minutes, daylight-saving rule or none]
const ZONES = {
  UTC: [0],
  'Etc/UTC': [0],
  GMT: [0],
  'Europe/London': [0, 'eu'],
  'Europe/Dublin': [0, 'eu'],
  'Europe/Lisbon': [0, 'eu'],
  'Europe/Paris': [60, 'eu'],
  'Europe/Berlin': [60, 'eu'],
  'Europe/Madrid': [60, 'eu'],
  'Europe/Rome': [60, 'eu'],
  'Europe/Amsterdam': [60, 'eu'],
  'Europe/Brussels': [60, 'eu'],
  'Europe/Vienna': [60, 'eu'],
  'Europe/Zurich': [60, 'eu'],
  'Europe/Stockholm': [60, 'eu'],
  'Europe/Oslo': [60, 'eu'],
  'Europe/Copenhagen': [60, 'eu'],
  'Europe/Warsaw': [60, 'eu'],
  'Europe/Prague': [60, 'eu'],
  'Europe/Budapest': [60, 'eu'],
  'Africa/Lagos': [60],
  'Europe/Athens': [120, 'eu'],
  'Europe/Helsinki': [120, 'eu'],
  'Europe/Kyiv': [120, 'eu'],
  'Europe/Bucharest': [120, 'eu'],
  'Europe/Sofia': [120, 'eu'],
  'Africa/Johannesburg': [120],
  'Europe/Istanbul': [180],
  'Europe/Moscow': [180],
  'Africa/Nairobi': [180],
  'Asia/Riyadh': [180],
  'Asia/Tehran': [210],
  'Asia/Dubai': [240],
  'Asia/Karachi': [300],
  'Asia/Kolkata': [330],
  'Asia/Kathmandu': [345],
  'Asia/Dhaka': [360],
  'Asia/Bangkok': [420],
  'Asia/Jakarta': [420],
  'Asia/Shanghai': [480],
  'Asia/Hong_Kong': [480],
  'Asia/Singapore': [480],
  'Asia/Taipei': [480],
  'Asia/Manila': [480],
  'Australia/Perth': [480],
  'Asia/Tokyo': [540],
  'Asia/Seoul': [540],
  'Australia/Darwin': [570],
  'Australia/Adelaide': [570, 'au'],
  'Australia/Brisbane': [600],
  'Australia/Sydney': [600, 'au'],
  'Australia/Melbourne': [600, 'au'],
  'Australia/Hobart': [600, 'au'],
  'Pacific/Auckland': [720, 'nz'],
  'America/St_Johns': [-210, 'us'],
  'America/Halifax': [-240, 'us'],
  'America/Sao_Paulo': [-180],
  'America/Argentina/Buenos_Aires': [-180],
  'America/New_York': [-300, 'us'],
  'America/Toronto': [-300, 'us'],
  'America/Detroit': [-300, 'us'],
  'America/Bogota': [-300],
  'America/Lima': [-300],
  'America/Chicago': [-360, 'us'],
  'America/Winnipeg': [-360, 'us'],
  'America/Mexico_City': [-360],
  'America/Denver': [-420, 'us'],
  'America/Edmonton': [-420, 'us'],
  'America/Phoenix': [-420],
  'America/Los_Angeles': [-480, 'us'],
  'America/Vancouver': [-480, 'us'],
  'America/Anchorage': [-540, 'us'],
  'Pacific/Honolulu': [-600],
};

/** The zone's offset from UTC at an instant, in minutes. */
function offsetAt(zone, ms) {
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3]));
  const entry = ZONES[zone];
  if (!entry) {
    throw new ComponentError(
      `unknown time zone "${zone}"; expected an IANA name from zones() (such as Europe/Paris) or an offset such as +05:30`,
    );
  }
  const [std, rule] = entry;
  if (!rule) return std;
  const [start, end] = RULES[rule](new Date(ms).getUTCFullYear(), std);
  const summer = start < end ? ms >= start && ms < end : ms >= start || ms < end;
  return summer ? std + 60 : std;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** An instant as ISO 8601 in zone, with the zone's offset at that instant. */
function isoIn(ms, zone) {
  const offset = offsetAt(zone, ms);
  const local = new Date(Math.floor(ms / 1000) * 1000 + offset * 60000);
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const abs = Math.abs(offset);
  const suffix =
    offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${date}T${time}${suffix}`;
}

export function now(zone) {
  return isoIn(Date.now(), zone ?? 'UTC');
}

export function convert(time, toZone) {
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(time.trim())) {
    throw new ComponentError(
      `expected an ISO 8601 time with an offset or Z, e.g. 2026-11-29T15:04:05Z; found "${time}"`,
    );
  }
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new ComponentError(`cannot read "${time}" as an ISO 8601 time`);
  return isoIn(ms, toZone);
}

export function epochMs() {
  return BigInt(Date.now());
}

export function zones() {
  return Object.keys(ZONES).sort();
}
