use streamdsl::prelude::*;

stream! {
    pipeline LongLines(min: usize) {
        batch = 1s;
        input lines: &str;
        let long = lines.filter(|line| line.len() > *min) +;
        lines.pprint();
    }
}

// Only the statement's error shows: the pipeline type still has `new(min)` and `lines`.
fn main() -> streamdsl::Result<()> {
    let lines = queue_stream(vec![vec!["to be or not to be".to_string()]]);
    StreamingContext::new().run_until_finished(LongLines::new(3).lines(lines))
}
