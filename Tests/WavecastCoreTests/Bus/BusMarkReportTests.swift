import Testing

@testable import WavecastCore

struct BusMarkReportTests {
    @Test func encodesAsTheTagThenJSONAndDecodesBack() throws {
        let report = BusMarkReport(
            gateway: "gw-1:8080",
            entries: [
                .init(stream: try StreamID("bot"), epoch: 7, name: "turn \"1\"", sent: 2, echoed: 1),
                .init(stream: try StreamID("bot"), epoch: 7, name: "cut", cut: true),
            ]
        )
        let frame = report.encode()
        #expect(frame.first == 2)
        #expect(
            String(decoding: frame.dropFirst(), as: UTF8.self)
                == #"{"gateway":"gw-1:8080","marks":[{"stream":"bot","epoch":7,"name":"turn \"1\"","sent":2,"echoed":1,"cut":false},"#
                + #"{"stream":"bot","epoch":7,"name":"cut","sent":0,"echoed":0,"cut":true}]}"#
        )
        #expect(try BusMarkReport(decoding: frame) == report)
    }

    @Test(
        arguments: [
            ([], "does not start with the report tag"),
            ([1] + Array("{}".utf8), "does not start with the report tag"),
            ([2] + Array("[]".utf8), "must be a JSON object"),
            ([2] + Array(#"{"marks":[]}"#.utf8), "'gateway'"),
            ([2] + Array(#"{"gateway":"g"}"#.utf8), "'marks' must be an array"),
            ([2] + Array(#"{"gateway":"g","marks":[1]}"#.utf8), "marks[0]: must be an object"),
            (
                [2]
                    + Array(
                        #"{"gateway":"g","marks":[{"stream":"a","epoch":4294967296,"name":"m","sent":0,"echoed":0,"cut":false}]}"#
                            .utf8
                    ),
                "marks[0]: 'epoch'"
            ),
            (
                [2]
                    + Array(
                        #"{"gateway":"g","marks":[{"stream":"a","epoch":1,"name":"m","sent":0,"echoed":1.5,"cut":false}]}"#
                            .utf8
                    ),
                "marks[0]: 'echoed'"
            ),
        ] as [([UInt8], String)]
    )
    func refusesMalformedReportsSayingWhere(frame: [UInt8], problem: String) {
        let error = #expect(throws: BusMarkReportError.self) {
            try BusMarkReport(decoding: frame)
        }
        #expect(error?.description.contains(problem) == true, "\(error.map { "\($0)" } ?? "")")
    }
}
