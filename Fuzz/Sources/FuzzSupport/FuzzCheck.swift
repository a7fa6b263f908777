/// Stops the process, which libFuzzer reports as a crash with the input, when an invariant of a decoder fails.
///
/// Unlike `precondition`, it also fires in `-Ounchecked` builds and names the target.
public func fuzzCheck(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    guard condition() else {
        fatalError("fuzz invariant failed: \(message())", file: file, line: line)
    }
}
