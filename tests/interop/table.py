"""The interop table of one run: `table.py RUN.jsonl TABLE.md PEER`. One row
per story: its result, and why (the skip reason, the provider's refusal,
the check that failed or warned, what it expected and what it found)."""
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
summary = next(l["summary"] for l in lines if "summary" in l)
records = {l["story"]: l for l in lines if "story" in l}
out = [f"| story | against {sys.argv[3]} | why |", "|---|---|---|"]
for s in summary["stories"]:
    result = s["result"]
    why = ""
    if result == "skipped":
        shown, why = "skipped", s["why"]
    elif result == "failed":
        shown = f"fails at step {s['step']} ({s.get('service', '')})"
        record = records.get(s["story"], {})
        failed = [c for st in record.get("steps", []) for c in st.get("checks", []) if c.get("outcome") == "failed"]
        errors = [st["error"] for st in record.get("steps", []) if st.get("error") and not st.get("ok")]
        if failed:
            why = "; ".join(f"{c['name']} ({c['reference']})" for c in failed)
        elif errors:
            why = "; ".join(f"the server answered {e['error']}" for e in errors)
        elif record.get("error"):
            why = record["error"]
    elif result == "refused_by_server":
        shown = f"refused by the server at step {s['step']} ({s['service']})"
        why = s["error"] + (f": {s['description']}" if s.get("description") else "")
        if s.get("note"):
            why += f"; {s['note']}"
    elif result == "needs_browser":
        shown = f"needs a browser at step {s['step']} ({s['service']})"
        why = s["what"]
    elif result == "passed_with_warnings":
        shown = "passes, warns"
        record = records.get(s["story"], {})
        warned = [c for st in record.get("steps", []) for c in st.get("checks", []) if c.get("outcome") == "warning"]
        # What the check expected and what was found, so the finding reads
        # the right way round.
        why = "; ".join(f"expected: {c['name']}; found: {c['detail']} ({c['reference']})" for c in warned)
    else:
        shown = result.replace("_", " ")
    # A run's own values (ports, states, challenges) out of the table.
    why = re.sub(r"(https?://127\.0\.0\.1):[0-9]+", r"\1:PORT", why)
    why = re.sub(r"(https?://[^\s?,]+)\?[^\s,]*", r"\1?…", why)
    out.append(f"| {s['story']} | {shown} | {why.replace('|', '/')} |")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
