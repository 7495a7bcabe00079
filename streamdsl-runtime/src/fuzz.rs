//! Seeded mutations for the decoders' property tests: arbitrary bytes and damaged copies of
//! valid inputs (bit flips, truncations, stretches cut, repeated or overwritten with random
//! bytes, little-endian lengths set to extremes). Every case is reproducible from the seed
//! and index a failing assertion prints; the case count keeps the suite's time bounded.

/// Cases each property test runs.
pub(crate) const CASES: u64 = 3_000;

/// A xorshift64* generator: no dependency, the same sequence everywhere.
pub(crate) struct Mutator(u64);

impl Mutator {
    pub(crate) fn new(seed: u64) -> Self {
        Mutator(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Up to `max_len` random bytes.
    pub(crate) fn arbitrary(&mut self, max_len: usize) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// `valid` with one to four mutations.
    pub(crate) fn mutate(&mut self, valid: &[u8]) -> Vec<u8> {
        let mut bytes = valid.to_vec();
        for _ in 0..=self.below(4) {
            if bytes.is_empty() {
                bytes = self.arbitrary(16);
                continue;
            }
            let at = self.below(bytes.len());
            match self.below(6) {
                0 => bytes[at] ^= 1 << self.below(8),
                1 => bytes.truncate(at),
                2 => {
                    let end = (at + 1 + self.below(16)).min(bytes.len());
                    bytes.drain(at..end);
                }
                3 => {
                    let end = (at + 1 + self.below(16)).min(bytes.len());
                    let stretch = bytes[at..end].to_vec();
                    bytes.splice(at..at, stretch);
                }
                4 => {
                    let noise = self.arbitrary(16);
                    bytes.splice(at..at, noise);
                }
                _ => {
                    // A length field set to an extreme: 0, all ones, or 2^62.
                    let extreme: [u8; 8] = match self.below(3) {
                        0 => [0; 8],
                        1 => [0xff; 8],
                        _ => (1u64 << 62).to_le_bytes(),
                    };
                    let end = (at + 8).min(bytes.len());
                    let n = end - at;
                    bytes[at..end].copy_from_slice(&extreme[..n]);
                }
            }
        }
        bytes
    }
}
