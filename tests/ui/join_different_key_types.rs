use streamdsl::prelude::*;

stream! {
    pipeline Orders {
        batch = 1s;
        input orders: (String, i64);
        input customers: (u32, String);
        let joined = orders.join(customers);
        joined.pprint();
    }
}

fn main() {}
