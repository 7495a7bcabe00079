//! "Did you mean …?" for operator and stream names.

use crate::ops::TABLE;

/// The operator a mistyped or Spark-spelled name most likely means.
pub fn suggest_operator(name: &str) -> Option<&'static str> {
    if let Some(op) = TABLE
        .iter()
        .find(|op| op.spark_name == name || op.name == snake_case(name))
    {
        return Some(op.name);
    }
    closest(name, TABLE.iter().map(|op| op.name))
}

/// The candidate within a small edit distance of `name`.
pub fn closest<'c>(name: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (name.len() / 3).max(1);
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// `reduceByKey` → `reduce_by_key`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.char_indices() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_names_and_typos() {
        assert_eq!(suggest_operator("reduceByKey"), Some("reduce_by_key"));
        assert_eq!(suggest_operator("flatMap"), Some("flat_map"));
        assert_eq!(suggest_operator("foreachRDD"), Some("foreach_rdd"));
        assert_eq!(suggest_operator("fliter"), Some("filter"));
        assert_eq!(suggest_operator("reduce_by_kye"), Some("reduce_by_key"));
        assert_eq!(suggest_operator("frobnicate"), None);
    }
}
