//! Line diff of two versions' code: Myers on lines, via `similar`.

use similar::{Algorithm, DiffOp, capture_diff_slices};

use crate::model::{DiffLine, DiffLineType};

/// Diffs `old` against `new` line by line (Myers).
///
/// A non-empty text not ending in `\n` is treated as if it had one; an empty text has no
/// lines. Lines are split on `\n` only and `content` never holds it. Equal lines come out
/// `unchanged` with both line numbers, deleted ones `removed` with `old_line`, inserted ones
/// `added` with `new_line`; line numbers start at 1 and count every line of their side,
/// blank lines included. Within a change, all removed lines precede all added lines.
/// Two texts without lines give `[]`.
#[must_use]
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let old_lines = split_lines(old);
    let new_lines = split_lines(new);
    let ops = capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines);

    let mut out = Vec::with_capacity(old_lines.len().max(new_lines.len()));
    // Pending change: removed old indices and added new indices, flushed before equal runs.
    let mut removed: Vec<usize> = Vec::new();
    let mut added: Vec<usize> = Vec::new();
    for op in &ops {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                flush(&mut out, &old_lines, &new_lines, &mut removed, &mut added);
                for k in 0..len {
                    out.push(DiffLine {
                        line_type: DiffLineType::Unchanged,
                        old_line: Some(old_index + k + 1),
                        new_line: Some(new_index + k + 1),
                        content: old_lines[old_index + k].to_owned(),
                    });
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => removed.extend(old_index..old_index + old_len),
            DiffOp::Insert {
                new_index, new_len, ..
            } => added.extend(new_index..new_index + new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                removed.extend(old_index..old_index + old_len);
                added.extend(new_index..new_index + new_len);
            }
        }
    }
    flush(&mut out, &old_lines, &new_lines, &mut removed, &mut added);
    out
}

/// The lines of `text` without their `\n`; a missing final newline is implied and an empty
/// text has no lines.
fn split_lines(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.split('\n').collect()
}

/// Emits the pending change: removed lines first, then added lines.
fn flush(
    out: &mut Vec<DiffLine>,
    old_lines: &[&str],
    new_lines: &[&str],
    removed: &mut Vec<usize>,
    added: &mut Vec<usize>,
) {
    for i in removed.drain(..) {
        out.push(DiffLine {
            line_type: DiffLineType::Removed,
            old_line: Some(i + 1),
            new_line: None,
            content: old_lines[i].to_owned(),
        });
    }
    for j in added.drain(..) {
        out.push(DiffLine {
            line_type: DiffLineType::Added,
            old_line: None,
            new_line: Some(j + 1),
            content: new_lines[j].to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(o: usize, n: usize, c: &str) -> DiffLine {
        DiffLine {
            line_type: DiffLineType::Unchanged,
            old_line: Some(o),
            new_line: Some(n),
            content: c.to_owned(),
        }
    }

    fn r(o: usize, c: &str) -> DiffLine {
        DiffLine {
            line_type: DiffLineType::Removed,
            old_line: Some(o),
            new_line: None,
            content: c.to_owned(),
        }
    }

    fn a(n: usize, c: &str) -> DiffLine {
        DiffLine {
            line_type: DiffLineType::Added,
            old_line: None,
            new_line: Some(n),
            content: c.to_owned(),
        }
    }

    /// Every diff must reproduce both texts and number each side 1, 2, 3...
    fn check_consistent(old: &str, new: &str, d: &[DiffLine]) {
        let old_side: Vec<&str> = d
            .iter()
            .filter(|l| l.line_type != DiffLineType::Added)
            .map(|l| l.content.as_str())
            .collect();
        let new_side: Vec<&str> = d
            .iter()
            .filter(|l| l.line_type != DiffLineType::Removed)
            .map(|l| l.content.as_str())
            .collect();
        assert_eq!(old_side, split_lines(old));
        assert_eq!(new_side, split_lines(new));
        let old_nums: Vec<usize> = d.iter().filter_map(|l| l.old_line).collect();
        let new_nums: Vec<usize> = d.iter().filter_map(|l| l.new_line).collect();
        assert_eq!(old_nums, (1..=old_side.len()).collect::<Vec<_>>());
        assert_eq!(new_nums, (1..=new_side.len()).collect::<Vec<_>>());
    }

    #[test]
    fn identical_texts_are_all_unchanged() {
        let t = "a\nb\n\nc\n";
        let d = diff_lines(t, t);
        assert_eq!(
            d,
            vec![u(1, 1, "a"), u(2, 2, "b"), u(3, 3, ""), u(4, 4, "c")]
        );
    }

    #[test]
    fn pure_addition() {
        let d = diff_lines("a\nb\n", "a\nx\nb\ny\n");
        assert_eq!(d, vec![u(1, 1, "a"), a(2, "x"), u(2, 3, "b"), a(4, "y")]);
    }

    #[test]
    fn pure_removal() {
        let d = diff_lines("a\nx\nb\ny\n", "a\nb\n");
        assert_eq!(d, vec![u(1, 1, "a"), r(2, "x"), u(3, 2, "b"), r(4, "y")]);
    }

    #[test]
    fn modified_line_is_removed_then_added() {
        let d = diff_lines("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(d, vec![u(1, 1, "a"), r(2, "b"), a(2, "B"), u(3, 3, "c")]);
    }

    #[test]
    fn multi_line_change_removes_all_before_adding() {
        let old = "keep\nold1\nold2\nend\n";
        let new = "keep\nnew1\nnew2\nnew3\nend\n";
        let d = diff_lines(old, new);
        assert_eq!(
            d,
            vec![
                u(1, 1, "keep"),
                r(2, "old1"),
                r(3, "old2"),
                a(2, "new1"),
                a(3, "new2"),
                a(4, "new3"),
                u(4, 5, "end"),
            ]
        );
    }

    #[test]
    fn blank_lines_at_chunk_ends_are_kept() {
        let old = "function a() {\n  return 1;\n}\n";
        let new = "function a() {\n  return 1;\n}\n\nfunction b() {\n  return 2;\n}\n\n";
        let d = diff_lines(old, new);
        assert_eq!(
            d,
            vec![
                u(1, 1, "function a() {"),
                u(2, 2, "  return 1;"),
                u(3, 3, "}"),
                a(4, ""),
                a(5, "function b() {"),
                a(6, "  return 2;"),
                a(7, "}"),
                a(8, ""),
            ]
        );
        let back = diff_lines(new, old);
        assert_eq!(back.len(), 8);
        assert_eq!(back[3], r(4, ""));
        assert_eq!(back[7], r(8, ""));
        check_consistent(new, old, &back);
    }

    #[test]
    fn blank_line_numbering_continues() {
        let d = diff_lines("a\n\n\nb\n", "a\n\nb\n\n");
        check_consistent("a\n\n\nb\n", "a\n\nb\n\n", &d);
        assert!(d.iter().any(|l| l.content.is_empty()));
    }

    #[test]
    fn empty_texts() {
        assert_eq!(diff_lines("", ""), Vec::<DiffLine>::new());
        assert_eq!(diff_lines("", "x\ny"), vec![a(1, "x"), a(2, "y")]);
        assert_eq!(diff_lines("x\ny\n", ""), vec![r(1, "x"), r(2, "y")]);
    }

    #[test]
    fn lone_newline_is_one_blank_line() {
        assert_eq!(diff_lines("", "\n"), vec![a(1, "")]);
        assert_eq!(diff_lines("\n", "\n"), vec![u(1, 1, "")]);
    }

    #[test]
    fn missing_final_newline_is_implied() {
        assert_eq!(
            diff_lines("a\nb", "a\nb\n"),
            vec![u(1, 1, "a"), u(2, 2, "b")]
        );
        assert_eq!(
            diff_lines("a\nb", "a\nc"),
            vec![u(1, 1, "a"), r(2, "b"), a(2, "c")]
        );
        assert_eq!(diff_lines("x", "x"), vec![u(1, 1, "x")]);
    }

    #[test]
    fn carriage_returns_stay_in_content() {
        let d = diff_lines("a\r\nb\n", "a\r\nb\n");
        assert_eq!(d, vec![u(1, 1, "a\r"), u(2, 2, "b")]);
    }

    #[test]
    fn larger_edit_is_consistent() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
        let new = "0\n1\n3\n4\nfour\n5\n\n7\n9\n10\n11\n";
        let d = diff_lines(old, new);
        check_consistent(old, new, &d);
        // Within each run of changes, removals precede additions.
        for w in d.windows(2) {
            assert!(
                !(w[0].line_type == DiffLineType::Added && w[1].line_type == DiffLineType::Removed)
            );
        }
    }

    #[test]
    fn serialises_with_spec_field_names() {
        let d = diff_lines("a\n", "b\n");
        let json = serde_json::to_string(&d).expect("serialise");
        assert_eq!(
            json,
            r#"[{"line_type":"removed","old_line":1,"content":"a"},{"line_type":"added","new_line":1,"content":"b"}]"#
        );
    }
}
