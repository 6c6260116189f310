//! JSON Lines: one object per story.
use crate::runner::StoryRecord;

pub fn story(record: &StoryRecord) -> String {
    serde_json::to_string(record).unwrap_or_else(|e| {
        serde_json::json!({"story": record.story, "ok": false, "error": e.to_string()}).to_string()
    })
}
