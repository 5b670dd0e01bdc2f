"""Reads an iCalendar document on stdin with Python's `icalendar` and `recurring-ical-events`
(an implementation independent of sgsched's) and prints, as JSON, every event instance in
[START, END) by UID, in UTC, and every offset its VTIMEZONEs give that differ from the IANA
zone of the same name at those instants.

Usage: python3 expand.py START END < feed.ics   (START/END as 2026-01-01T00:00:00Z)
"""

import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events


def utc(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def main():
    start, end = utc(sys.argv[1]), utc(sys.argv[2])
    cal = icalendar.Calendar.from_ical(sys.stdin.read())
    by_uid = {}
    for ev in recurring_ical_events.of(cal).between(start, end):
        at = ev["DTSTART"].dt
        if at.tzinfo is None:
            raise SystemExit(f"floating instance {at} in {ev['UID']}")
        by_uid.setdefault(str(ev["UID"]), []).append(
            at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    for v in by_uid.values():
        v.sort()
    # The VTIMEZONEs alone (not looked up by name) must give the zone's offsets. icalendar
    # builds them with dateutil's tzical, which misreads the hours around a change (it puts
    # 2027-04-03T15:00Z, Lord Howe's change, at 02:00+10:30); instants within three hours of
    # a change are left to the IANA comparison of the instances above.
    mismatches = []
    zones = {}
    for vtz in cal.walk("VTIMEZONE"):
        zones[str(vtz["TZID"])] = vtz.to_tz(lookup_tzid=False)
    for instants in by_uid.values():
        for s in instants:
            at = utc(s)
            for name, own in zones.items():
                iana = ZoneInfo(name)
                near = timedelta(hours=3)
                if (at - near).astimezone(iana).utcoffset() != (at + near).astimezone(iana).utcoffset():
                    continue
                a = at.astimezone(own).utcoffset()
                b = at.astimezone(ZoneInfo(name)).utcoffset()
                if a != b:
                    mismatches.append(f"{name} at {s}: VTIMEZONE {a}, IANA {b}")
    json.dump({"events": by_uid, "zones": sorted(zones), "vtimezone_mismatches": mismatches}, sys.stdout)


if __name__ == "__main__":
    main()
