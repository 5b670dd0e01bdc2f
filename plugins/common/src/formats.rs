//! Syntactic checks of string formats. They are deliberately syntactic: a plugin has no
//! registry to look language subtags up in, and the job system is the judge of whether an id
//! exists.

/// Whether `tag` is a well-formed BCP 47 (RFC 5646) language tag: a 2–3 letter primary
/// language (the 4–8 letter forms are reserved or registered-only, and accepting them would let
/// `english` through), up to three extended language subtags, then optional script, region,
/// variants, extensions and private use, separated by `-`. Case is not significant in BCP 47,
/// so `en-us` is accepted; `_` is not a separator, so `EN_us` is not.
pub fn is_language_tag(tag: &str) -> bool {
    if tag.is_empty() || tag.len() > 64 {
        return false;
    }
    let alpha = |s: &str| s.bytes().all(|b| b.is_ascii_alphabetic());
    let digit = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());

    let mut subtags = tag.split('-').peekable();
    let Some(language) = subtags.next() else {
        return false;
    };
    if !(2..=3).contains(&language.len()) || !alpha(language) {
        return false;
    }
    let mut extlangs = 0;
    while let Some(s) = subtags.peek() {
        if extlangs < 3 && s.len() == 3 && alpha(s) {
            extlangs += 1;
            subtags.next();
        } else {
            break;
        }
    }
    if let Some(s) = subtags.peek()
        && s.len() == 4
        && alpha(s)
    {
        subtags.next();
    }
    if let Some(s) = subtags.peek()
        && ((s.len() == 2 && alpha(s)) || (s.len() == 3 && digit(s)))
    {
        subtags.next();
    }
    while let Some(s) = subtags.peek() {
        let variant = ((5..=8).contains(&s.len()) && alnum(s))
            || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit() && alnum(s));
        if !variant {
            break;
        }
        subtags.next();
    }
    // Extensions (`u-ca-gregory`) and private use (`x-whatever`): a singleton, then subtags.
    while let Some(singleton) = subtags.next() {
        if singleton.len() != 1 || !alnum(singleton) {
            return false;
        }
        let private = singleton.eq_ignore_ascii_case("x");
        let (min, max) = if private { (1, 8) } else { (2, 8) };
        let mut count = 0;
        while let Some(s) = subtags.peek() {
            if s.len() == 1 && !private {
                break;
            }
            if !(min..=max).contains(&s.len()) || !alnum(s) {
                return false;
            }
            count += 1;
            subtags.next();
        }
        if count == 0 {
            return false;
        }
    }
    true
}

/// Whether `s` is a UUID in hyphenated form (`8-4-4-4-12` hex digits, any case).
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `s` looks like an absolute URL `scheme://authority[/rest]` with one of `schemes`
/// (compared case-insensitively), a non-empty authority and no whitespace or control
/// characters.
pub fn is_url(s: &str, schemes: &[&str]) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if !schemes.iter().any(|x| x.eq_ignore_ascii_case(scheme)) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    !authority.is_empty()
        && s.len() <= 2048
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Parses `WIDTHxHEIGHT` (decimal, no sign, no leading zero, lower-case `x`).
pub fn parse_resolution(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once('x')?;
    let number = |n: &str| -> Option<u32> {
        let plain = !n.is_empty() && n.len() <= 5 && n.bytes().all(|b| b.is_ascii_digit());
        if plain && !n.starts_with('0') {
            n.parse().ok()
        } else {
            None
        }
    };
    Some((number(w)?, number(h)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        for good in [
            "en",
            "en-US",
            "pt-BR",
            "zh-Hans-CN",
            "sr-Latn",
            "es-419",
            "de-CH-1996",
            "en-us",
            "zh-yue-HK",
            "en-US-u-ca-gregory",
            "en-x-twain",
            "fil",
            "sl-rozaj-biske",
        ] {
            assert!(is_language_tag(good), "{good} should be accepted");
        }
        for bad in [
            "",
            "english",
            "EN_us",
            "e",
            "en-",
            "-en",
            "en--US",
            "en-US-",
            "12",
            "en-u",
            "en-x",
            "en-Latn-US-x-a-b-c-toolongvalue",
            "en US",
            "en-a-b",
        ] {
            assert!(!is_language_tag(bad), "{bad} should be rejected");
        }
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a90"));
        assert!(is_uuid("0190B3C4-7D2E-7CC0-9A51-3F6E1C2B8A90"));
        assert!(!is_uuid("0190b3c47d2e7cc09a513f6e1c2b8a90"));
        assert!(!is_uuid("0190b3c4-7d2e-7cc0-9a51-3f6e1c2b8a9g"));
        assert!(!is_uuid("not-a-uuid"));
    }

    #[test]
    fn urls() {
        assert!(is_url("s3://bucket/exports/", &["s3"]));
        assert!(is_url("https://www.youtube.com/channel/x", &["https"]));
        assert!(!is_url("s3://", &["s3"]));
        assert!(!is_url("gs://bucket/x", &["s3"]));
        assert!(!is_url("bucket/x", &["s3"]));
        assert!(!is_url("s3://bucket/with space", &["s3"]));
    }

    #[test]
    fn resolutions() {
        assert_eq!(parse_resolution("1280x720"), Some((1280, 720)));
        assert_eq!(parse_resolution("01280x720"), None);
        assert_eq!(parse_resolution("1280*720"), None);
        assert_eq!(parse_resolution("x720"), None);
        assert_eq!(parse_resolution("+1280x720"), None);
    }
}
