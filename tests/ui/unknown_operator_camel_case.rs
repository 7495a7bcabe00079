use streamdsl::prelude::*;

stream! {
    pipeline WordCount {
        batch = 1s;
        input lines: &str;
        let counts = lines
            .flat_map(|line| line.split(' '))
            .map(|word| (word, 1u64))
            .reduceByKey(|a, b| a + b);
        counts.pprint();
    }
}

fn main() {}
