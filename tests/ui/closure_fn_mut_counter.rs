use streamdsl::prelude::*;

stream! {
    pipeline Numbering {
        batch = 1s;
        input numbers: i64;
        numbers.map({ let mut n = 0u64; move |x| { n += 1; (n, x) } }).pprint();
    }
}

fn main() {}
