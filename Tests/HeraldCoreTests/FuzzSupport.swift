import Foundation
import HeraldCore

/// Random and mutated inputs for the fuzz tests: random bytes, and valid samples with tokens
/// inserted, deleted, duplicated and spliced, deep nesting, huge numbers, long strings, NUL and
/// control bytes, and invalid UTF-8.
struct Mutator {
    var rng: SplitMix64
    /// Valid inputs of the target, mutated most of the time.
    let samples: [[UInt8]]
    /// Tokens of the target's language (`{`, `AND`, `{data}`, …).
    let tokens: [[UInt8]]
    /// Nesting openers and their closers (`[` / `]`, `(` / `)`).
    let nesting: [(open: [UInt8], close: [UInt8])]

    static let interesting: [[UInt8]] = [
        [0], [1], [0x1F], [0x7F], [0xC2, 0x85], [0xFF], [0xFE], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82],
        [0xF4, 0x90, 0x80, 0x80], Array("\\u0000".utf8), Array("\\ud800".utf8), Array("\\".utf8), Array("\"".utf8),
        Array("\n".utf8), Array("\r\n".utf8), Array("\t".utf8), Array("'".utf8), Array("é".utf8), Array("🚀".utf8),
        Array("\u{301}".utf8), Array(" ".utf8), Array("-".utf8), Array(".".utf8), Array("e".utf8),
        Array("1e999999999".utf8), Array("-0.0000000000000000001".utf8), Array("9223372036854775808".utf8),
    ]

    mutating func below(_ n: Int) -> Int { rng.below(n) }
    mutating func chance(_ oneIn: Int) -> Bool { rng.below(oneIn) == 0 }

    mutating func next() -> [UInt8] {
        switch below(10) {
        case 0: return randomBytes(count: below(chance(4) ? 4_096 : 96))
        case 1: return randomTokens()
        default:
            var input = samples[below(samples.count)]
            let mutations = chance(2) ? 1 : 1 + below(chance(4) ? 12 : 3)
            for _ in 0..<mutations { mutate(&input) }
            return input
        }
    }

    mutating func randomBytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in chance(3) ? UInt8(32 + below(95)) : UInt8(truncatingIfNeeded: rng.next()) }
    }

    mutating func randomTokens() -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<below(64) {
            out += chance(5) ? Self.interesting[below(Self.interesting.count)] : tokens[below(tokens.count)]
            if chance(2) { out.append(32) }
        }
        return out
    }

    mutating func mutate(_ input: inout [UInt8]) {
        let at = input.isEmpty ? 0 : below(input.count + 1)
        switch below(12) {
        case 0:   // insert a token, often with spaces around it
            let token = tokens[below(tokens.count)]
            input.insert(contentsOf: chance(2) ? [32] + token + [32] : token, at: at)
        case 1:   // insert an interesting byte sequence (NUL, control, invalid UTF-8, escapes)
            input.insert(contentsOf: Self.interesting[below(Self.interesting.count)], at: at)
        case 2:   // delete a range
            guard !input.isEmpty else { return }
            let start = below(input.count)
            input.removeSubrange(start..<min(input.count, start + 1 + below(16)))
        case 3:   // duplicate a range
            guard !input.isEmpty else { return }
            let start = below(input.count)
            let piece = input[start..<min(input.count, start + 1 + below(64))]
            input.insert(contentsOf: Array(repeating: Array(piece), count: 1 + below(chance(4) ? 200 : 3)).joined(),
                         at: at)
        case 4:   // splice with another sample
            let other = samples[below(samples.count)]
            guard !other.isEmpty else { return }
            let start = below(other.count)
            input = Array(input[..<at]) + other[start..<min(other.count, start + below(other.count - start + 1))]
        case 5:   // deep nesting around a point, sometimes past every limit
            let (open, close) = nesting[below(nesting.count)]
            let depth = [2, 8, 31, 32, 33, 127, 128, 129, 600, 20_000][below(10)]
            let end = at + (input.count > at ? below(input.count - at + 1) : 0)
            var wrapped = Array(input[..<at])
            wrapped += Array(repeating: open, count: depth).joined()
            wrapped += input[at..<end]
            if !chance(5) { wrapped += Array(repeating: close, count: depth).joined() }
            wrapped += input[end...]
            input = wrapped
        case 6:   // a huge number
            let digits = [20, 400, 1_000, 1_001, 5_000][below(5)]
            var number: [UInt8] = chance(2) ? [45] : []
            number += (0..<digits).map { _ in UInt8(48 + below(10)) }
            if chance(2) { number += Array(".5e-99999999999999".utf8) }
            input.insert(contentsOf: number, at: at)
        case 7:   // a long string or run of spaces
            let byte: UInt8 = [32, 120, 0x7B, 0x22, 0x5C][below(5)]
            input.insert(contentsOf: [UInt8](repeating: byte, count: [100, 1_000, 17_000, 70_000][below(4)]), at: at)
        case 8:   // flip a byte
            guard !input.isEmpty else { return }
            input[below(input.count)] ^= UInt8(1 << below(8))
        case 9:   // truncate
            input.removeSubrange(at...)
        case 10:  // swap two ranges
            guard input.count > 2 else { return }
            let a = below(input.count - 1)
            input.swapAt(a, a + 1 + below(input.count - a - 1))
        default:  // replace a byte with a random one
            guard !input.isEmpty else { return }
            input[below(input.count)] = UInt8(truncatingIfNeeded: rng.next())
        }
    }
}

/// What one input did: refused (a parse error, fine), accepted, or broke a rule.
enum FuzzVerdict: Sendable {
    case refused
    case accepted
    case failed(String)
}

/// Runs `iteration` again and again for `budget`, on a thread with a 512 KiB stack, and reports
/// the iterations, the slowest one and every failure (as text, with its iteration number).
/// HERALD_FUZZ_DUMP=/tmp/x writes each input to /tmp/x.<target> before running it, so that the
/// input that crashed the process is left behind.
struct FuzzRun: Sendable {
    let target: String
    let seed: UInt64
    var iterations = 0
    var accepted = 0
    var slowest = 0.0
    var failures: [String] = []

    static var seed: UInt64 {
        if let text = ProcessInfo.processInfo.environment["HERALD_FUZZ_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 0...UInt64(UInt32.max))
    }

    static var budget: Double {
        ProcessInfo.processInfo.environment["HERALD_FUZZ_SECONDS"].flatMap(Double.init) ?? 3
    }

    static func run(_ target: String, samples: [[UInt8]], tokens: [String], nesting: [(String, String)],
                    iteration: @escaping @Sendable (_ input: [UInt8], _ mutator: inout Mutator) -> FuzzVerdict) async
        -> FuzzRun {
        let seed = Self.seed
        let budget = Self.budget
        // Written before the first input, unbuffered: a crash still names the seed that caused it.
        let banner = "fuzz \(target): seed \(seed) (HERALD_FUZZ_SEED=\(seed) repeats it)\n"
        FileHandle.standardError.write(Data(banner.utf8))
        let tokenBytes = tokens.map { Array($0.utf8) }
        let nestingBytes = nesting.map { (open: Array($0.0.utf8), close: Array($0.1.utf8)) }
        let run = await onThread(stackSize: StackDepthTests.smallStack) { () -> FuzzRun in
            var run = FuzzRun(target: target, seed: seed)
            var mutator = Mutator(rng: SplitMix64(seed: seed), samples: samples, tokens: tokenBytes,
                                  nesting: nestingBytes)
            let start = ContinuousClock.now
            let dump = ProcessInfo.processInfo.environment["HERALD_FUZZ_DUMP"]
            while run.iterations == 0 || (ContinuousClock.now - start) < .seconds(budget) {
                let input = mutator.next()
                if let dump { FileManager.default.createFile(atPath: dump + ".\(target)", contents: Data(input)) }
                let begin = ContinuousClock.now
                let verdict = iteration(input, &mutator)
                let took = ContinuousClock.now - begin
                let spent = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
                run.slowest = max(run.slowest, spent)
                run.iterations += 1
                switch verdict {
                case .refused: break
                case .accepted: run.accepted += 1
                case .failed(let failure):
                    if run.failures.count < 5 {
                        run.failures.append("iteration \(run.iterations) (\(input.count) bytes): \(failure)")
                    }
                }
            }
            return run
        }
        print("fuzz \(target): seed \(seed), \(run.iterations) inputs (\(run.accepted) accepted), "
              + "slowest \(Int(run.slowest * 1000)) ms")
        return run
    }
}
