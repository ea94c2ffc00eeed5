//! The JavaScript prelude: the API namespaces written in JS over per-context native ops,
//! evaluated once into the startup snapshot.

/// Resource name of the prelude script (its stack frames are left out of error texts).
pub(crate) const PRELUDE_NAME: &str = "lunar:prelude";

/// The prelude: the fragments under `src/js/`, in order, inside one strict IIFE.
const PRELUDE: &str = concat!(
    "(function () {\n\"use strict\";\n",
    include_str!("js/00_core.js"),
    include_str!("js/10_console.js"),
    include_str!("js/20_kv_env.js"),
    include_str!("js/30_time.js"),
    include_str!("js/40_json.js"),
    include_str!("js/50_text.js"),
    include_str!("js/60_dom.js"),
    include_str!("js/65_events.js"),
    include_str!("js/66_blob.js"),
    include_str!("js/67_streams.js"),
    include_str!("js/68_compression.js"),
    include_str!("js/70_crypto_random.js"),
    include_str!("js/71_subtle.js"),
    include_str!("js/72_strings.js"),
    include_str!("js/73_url.js"),
    include_str!("js/74_router.js"),
    include_str!("js/75_urlpattern.js"),
    include_str!("js/80_http.js"),
    include_str!("js/82_fetch.js"),
    include_str!("js/84_ai_email.js"),
    include_str!("js/86_host.js"),
    include_str!("js/90_internals.js"),
    "\n})();\n",
);

/// Scripts evaluated into the snapshot, in order.
pub(crate) const SOURCES: &[(&str, &str)] = &[(PRELUDE_NAME, PRELUDE)];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The fragments share one scope, where a second `function f` silently replaces the
    /// first: every top-level function name must be unique.
    #[test]
    fn top_level_functions_have_unique_names() {
        let mut seen = BTreeSet::new();
        for line in super::PRELUDE.lines() {
            let Some(rest) = line.strip_prefix("function ") else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                .collect();
            assert!(
                seen.insert(name.clone()),
                "function {name} is declared twice"
            );
        }
        assert!(seen.len() > 50, "found only {} functions", seen.len());
    }
}
