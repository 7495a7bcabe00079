use streamdsl::prelude::*;

stream! {
    pipeline Evens {
        batchh = 1s;
        input numbers: i64;
        numbers.filter(|n| n % 2 == 0).pprint();
    }
}

// Only the setting's error shows: the pipeline type still has `new()` and `numbers`.
fn main() -> streamdsl::Result<()> {
    let numbers = queue_stream(vec![vec![1, 2, 3]]);
    StreamingContext::new().run_until_finished(Evens::new().numbers(numbers))
}
