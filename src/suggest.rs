//! Did-you-mean: the one lookup of names close to a misspelt one, for tokens, enum values,
//! request fields, kinds and scopes alike.

/// The names closest to `probe` (case-insensitive), best first, at most `limit`.
pub(crate) fn closest<'a>(
    probe: &str,
    candidates: impl Iterator<Item = &'a str>,
    limit: usize,
) -> Vec<&'a str> {
    let p = str::to_lowercase(probe);
    let p_last = p.rsplit('.').next().unwrap_or(&p).to_string();
    let mut scored: Vec<(f64, &str)> = Vec::new();
    for c in candidates {
        let l = str::to_lowercase(c);
        if scored.iter().any(|(_, s)| str::to_lowercase(s) == l) {
            continue;
        }
        let mut score = strsim::normalized_damerau_levenshtein(&p, &l);
        if score < 0.7 {
            let l_last = l.rsplit('.').next().unwrap_or(&l);
            if (p.chars().count() >= 2 && l.starts_with(&p))
                || (p_last.len() >= 2 && p_last == l_last)
            {
                score = 0.7;
            }
        }
        if score >= 0.7 {
            scored.push((score, c));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let best = scored.first().map_or(0.0, |s| s.0);
    scored
        .into_iter()
        .take_while(|s| s.0 >= best - 0.1)
        .take(limit)
        .map(|(_, c)| c)
        .collect()
}

/// The help line for the closest of `candidates` to `probe`: "did you mean `x`?", when one is
/// close enough.
pub(crate) fn did_you_mean<'a>(
    probe: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<String> {
    closest(probe, candidates, 1)
        .first()
        .map(|c| format!("did you mean `{c}`?"))
}

/// The `unknown-name` diagnostic for a name (of a scope, engine or request kind) that is none of
/// `names`; its span covers the whole name.
pub(crate) fn unknown_name(what: &str, name: &str, names: &[&str]) -> crate::Diagnostic {
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let d = crate::Diagnostic::error(
        crate::Code::UnknownName,
        crate::Span::new(0, name.len()),
        format!("unknown {what} `{name}` (expected {})", list.join(", ")),
    );
    match did_you_mean(name, names.iter().copied()) {
        Some(help) => d.with_help(help),
        None => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_is_case_insensitive_and_ranked() {
        let names = ["action", "actor.process", "platform"];
        assert_eq!(closest("actoin", names.into_iter(), 3), ["action"]);
        assert_eq!(closest("ACTION", names.into_iter(), 3), ["action"]);
        assert_eq!(
            closest("win", ["WINDOWS", "LINUX"].into_iter(), 3),
            ["WINDOWS"]
        );
        assert!(closest("zzz", names.into_iter(), 3).is_empty());
    }
}
