//! Long results in the text summary, wrapped to fit 100 columns.

/// A result as the text table shows it: what fits `column` characters on
/// the row (up to its first ": ", or its first words), and the rest in
/// lines of at most 96 characters (indented by 4 below the row).
pub(super) fn split_result(result: &str, column: usize) -> (String, Vec<String>) {
    if result.chars().count() <= column {
        return (result.to_owned(), Vec::new());
    }
    let (mut head, mut tail) = match result.split_once(": ") {
        Some((head, tail)) => (format!("{head}:"), tail.to_owned()),
        None => (String::new(), result.to_owned()),
    };
    if head.is_empty() || head.chars().count() > column {
        let words = format!("{head} {tail}");
        let (row, rest) = wrap(words.trim(), column);
        head = row;
        tail = rest.join(" ");
    }
    let (first, rest) = wrap(&tail, 96);
    let lines = std::iter::once(first)
        .filter(|l| !l.is_empty())
        .chain(rest)
        .collect();
    (head, lines)
}

/// `text` in lines of at most `width` characters, broken between words
/// (a word longer than that has a line of its own): the first, the rest.
pub(super) fn wrap(text: &str, width: usize) -> (String, Vec<String>) {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    let mut lines = lines.into_iter();
    (lines.next().unwrap_or_default(), lines.collect())
}

#[cfg(test)]
mod tests {
    use crate::render::Style;
    use crate::runner::StoryRecord;
    use crate::summary::Summary;

    #[test]
    fn a_long_skip_reason_wraps_below_its_row_within_100_columns() {
        let why = "the JWT bearer assertions come from the built-in demo identity provider, which another server does not trust, and a good deal more besides";
        let records = [
            StoryRecord::skipped("attack_jwt_bearer_untrusted_issuer", why),
            StoryRecord::skipped("oauth2_cc", "the client_credentials grant is not offered"),
        ];
        let text = Summary::new(&records, false).text(Style::default());
        let table = &text[text.find("SUMMARY").unwrap()..text.find("TOTAL").unwrap()];
        for line in table.lines() {
            assert!(
                line.chars().count() <= 100,
                "{} columns: {line}",
                line.len()
            );
        }
        // Every word of the reason is there, in order, on the lines below.
        let words: Vec<&str> = table
            .lines()
            .skip_while(|l| !l.starts_with("attack_jwt"))
            .take_while(|l| !l.starts_with("oauth2_cc"))
            .flat_map(str::split_whitespace)
            .collect::<Vec<_>>();
        let shown = words.join(" ");
        assert!(shown.contains(why), "{table}");
    }
}
