use streamdsl::prelude::*;

stream! {
    pipeline Counts {
        batch = 1s;
        input words: String;
        input other: String;
        words.union(other).count().pprint();
    }
}

fn main() {
    // `other` is never bound: starting it does not compile.
    let pipeline = Counts::new().words(queue_stream(vec![vec!["a".to_owned()]]));
    let _ = StreamingContext::new().start(pipeline);
}
