//! RFC 5545 text written: CRLF line ends, lines folded at 75 octets (never inside a UTF-8
//! character), `TEXT` values escaped, parameter values quoted where they must be.

/// Octets per physical line, the CRLF not counted (RFC 5545 §3.1).
pub const FOLD_AT: usize = 75;

#[derive(Debug, Default)]
pub struct IcsWriter {
    out: String,
}

impl IcsWriter {
    pub fn new() -> IcsWriter {
        IcsWriter::default()
    }

    pub fn begin(&mut self, component: &str) {
        self.line(&format!("BEGIN:{component}"));
    }

    pub fn end(&mut self, component: &str) {
        self.line(&format!("END:{component}"));
    }

    /// A property whose value is already in its RFC 5545 form (a date-time, a rule).
    pub fn raw(&mut self, name: &str, params: &[(&str, &str)], value: &str) {
        let mut l = String::with_capacity(name.len() + value.len() + 16);
        l.push_str(name);
        for (k, v) in params {
            l.push(';');
            l.push_str(k);
            l.push('=');
            let clean: String = v.chars().filter(|c| *c != '"' && !c.is_control()).collect();
            if clean.contains([':', ';', ',']) {
                l.push('"');
                l.push_str(&clean);
                l.push('"');
            } else {
                l.push_str(&clean);
            }
        }
        l.push(':');
        // A raw value never carries a line break: that would start a property of its own.
        l.extend(value.chars().filter(|c| *c != '\r' && *c != '\n'));
        self.line(&l);
    }

    /// A `TEXT` property (a summary, a description), escaped.
    pub fn text(&mut self, name: &str, value: &str) {
        self.raw(name, &[], &escape_text(value));
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn line(&mut self, l: &str) {
        fold_into(&mut self.out, l);
    }
}

/// `\`, `;`, `,` and line breaks escaped; other control characters dropped (no calendar shows
/// them, and a raw one could end the line).
pub fn escape_text(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `l` as physical lines of at most [`FOLD_AT`] octets each, continuations starting
/// with one space (which counts toward the 75).
pub fn fold_into(out: &mut String, l: &str) {
    let mut used = 0;
    for c in l.chars() {
        let n = c.len_utf8();
        if used + n > FOLD_AT {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}
