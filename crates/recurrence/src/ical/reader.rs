//! RFC 5545 text read into components and content lines: unfolding, the `NAME;PARAM=…:value`
//! grammar (quoted parameter values included), `BEGIN`/`END` nesting. Nothing here knows what a
//! property means; [`super::event`] does.
//!
//! Hostile input is bounded: a line longer than [`MAX_LINE`] after unfolding, components nested
//! deeper than [`MAX_DEPTH`] or more than [`MAX_COMPONENTS`] of them are errors, found in one
//! pass, so a file of any shape costs time linear in its length.

/// Octets in one unfolded content line. A real property is far shorter (a `DESCRIPTION` of a
/// few kilobytes at most); a megabyte line is an attack or a broken file.
pub const MAX_LINE: usize = 64 * 1024;
/// `VCALENDAR` > `VEVENT` > `VALARM` is as deep as calendars go; `VTIMEZONE` > `STANDARD` too.
pub const MAX_DEPTH: usize = 4;
/// Components in one file, every kind counted.
pub const MAX_COMPONENTS: usize = 5_000;

/// Where the text is wrong: the 1-based line (as written, before unfolding) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct IcalError {
    pub line: usize,
    pub message: String,
}

fn fail<T>(line: usize, message: impl Into<String>) -> Result<T, IcalError> {
    Err(IcalError {
        line,
        message: message.into(),
    })
}

/// One property: its name upper-cased, its parameters (names upper-cased, values unquoted) and
/// its raw value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentLine {
    pub name: String,
    pub params: Vec<(String, String)>,
    pub value: String,
    /// The line it starts on, for messages.
    pub line: usize,
}

impl ContentLine {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The line as RFC 5545 text again (unfolded), parameters re-quoted where needed.
    pub fn to_text(&self) -> String {
        let mut out = self.name.clone();
        for (k, v) in &self.params {
            out.push(';');
            out.push_str(k);
            out.push('=');
            if v.contains([':', ';', ',']) {
                out.push('"');
                out.push_str(v);
                out.push('"');
            } else {
                out.push_str(v);
            }
        }
        out.push(':');
        out.push_str(&self.value);
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Component {
    pub name: String,
    pub properties: Vec<ContentLine>,
    pub children: Vec<Component>,
    pub line: usize,
}

impl Component {
    pub fn property(&self, name: &str) -> Option<&ContentLine> {
        self.properties.iter().find(|p| p.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ContentLine> + 'a {
        self.properties.iter().filter(move |p| p.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Logical lines with the physical line each starts on: CRLF or LF, a line starting with a space
/// or tab continues the one before (RFC 5545 §3.1).
fn unfold(text: &str) -> Result<Vec<(usize, String)>, IcalError> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            let Some((_, last)) = out.last_mut() else {
                return fail(i + 1, "a continuation line with nothing before it");
            };
            if last.len() + rest.len() > MAX_LINE {
                return fail(i + 1, format!("line longer than {MAX_LINE} octets"));
            }
            last.push_str(rest);
        } else if !raw.is_empty() {
            if raw.len() > MAX_LINE {
                return fail(i + 1, format!("line longer than {MAX_LINE} octets"));
            }
            out.push((i + 1, raw.to_string()));
        }
    }
    Ok(out)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// `NAME *(";" param) ":" value`, parameter values optionally quoted.
pub fn parse_line(line: usize, text: &str) -> Result<ContentLine, IcalError> {
    let name_end = text.find(|c: char| !is_name_char(c)).unwrap_or(text.len());
    if name_end == 0 {
        return fail(line, "expected a property name");
    }
    let name = text[..name_end].to_ascii_uppercase();
    let mut rest = &text[name_end..];
    let mut params = Vec::new();
    loop {
        match rest.chars().next() {
            Some(':') => {
                return Ok(ContentLine {
                    name,
                    params,
                    value: rest[1..].to_string(),
                    line,
                });
            }
            Some(';') => {
                rest = &rest[1..];
                let key_end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
                if key_end == 0 || !rest[key_end..].starts_with('=') {
                    return fail(line, format!("{name}: expected PARAM=value"));
                }
                let key = rest[..key_end].to_ascii_uppercase();
                rest = &rest[key_end + 1..];
                let mut values: Vec<&str> = Vec::new();
                loop {
                    if let Some(quoted) = rest.strip_prefix('"') {
                        let Some(close) = quoted.find('"') else {
                            return fail(line, format!("{name}: unterminated quoted {key}"));
                        };
                        values.push(&quoted[..close]);
                        rest = &quoted[close + 1..];
                    } else {
                        let end = rest.find([',', ';', ':']).unwrap_or(rest.len());
                        values.push(&rest[..end]);
                        rest = &rest[end..];
                    }
                    match rest.strip_prefix(',') {
                        Some(r) => rest = r,
                        None => break,
                    }
                }
                params.push((key, values.join(",")));
            }
            _ => return fail(line, format!("{name}: expected ':' and a value")),
        }
    }
}

/// The one top-level component of `text` (a `VCALENDAR`, or a bare `VEVENT`).
pub fn parse_document(text: &str) -> Result<Component, IcalError> {
    let mut stack: Vec<Component> = Vec::new();
    let mut done: Option<Component> = None;
    let mut count = 0usize;
    for (line, raw) in unfold(text)? {
        let cl = parse_line(line, &raw)?;
        if done.is_some() {
            return fail(line, "text after the end of the calendar");
        }
        match cl.name.as_str() {
            "BEGIN" => {
                let name = cl.value.trim().to_ascii_uppercase();
                if name.is_empty() || !name.chars().all(is_name_char) {
                    return fail(line, "BEGIN needs a component name");
                }
                if stack.len() >= MAX_DEPTH {
                    return fail(line, format!("components nested deeper than {MAX_DEPTH}"));
                }
                count += 1;
                if count > MAX_COMPONENTS {
                    return fail(line, format!("more than {MAX_COMPONENTS} components"));
                }
                stack.push(Component {
                    name,
                    line,
                    ..Component::default()
                });
            }
            "END" => {
                let name = cl.value.trim().to_ascii_uppercase();
                let Some(open) = stack.pop() else {
                    return fail(line, format!("END:{name} without a BEGIN"));
                };
                if open.name != name {
                    return fail(
                        line,
                        format!(
                            "END:{name} closes BEGIN:{} (line {}), which is still open",
                            open.name, open.line
                        ),
                    );
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(open),
                    None => done = Some(open),
                }
            }
            _ => match stack.last_mut() {
                Some(c) => c.properties.push(cl),
                None => return fail(line, format!("{} outside any component", cl.name)),
            },
        }
    }
    match (done, stack.pop()) {
        (Some(c), _) => Ok(c),
        (None, Some(open)) => fail(
            open.line,
            format!("BEGIN:{} is never ended (no END:{})", open.name, open.name),
        ),
        (None, None) => fail(1, "no BEGIN:VCALENDAR or BEGIN:VEVENT"),
    }
}

/// A `TEXT` value with RFC 5545's escapes undone (`\n`, `\,`, `\;`, `\\`).
pub fn unescape_text(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
