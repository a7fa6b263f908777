import Testing
import WavecastBench

/// The `key=value` result lines the tables read, and the tables they become.
@Suite struct ResultLineTests {
    @Test func readsFieldsAndDashesForMissingOnes() {
        let line = ResultLine("fanout connected=500 late_p99_ms=3.10 failure=connection_refused")
        #expect(line.kind == "fanout")
        #expect(line["connected"] == "500")
        #expect(line["late_p99_ms"] == "3.10")
        #expect(line["lost"] == "-")
        #expect(ResultLine("")["anything"] == "-")
    }

    @Test func aKeyIsNotMatchedByItsPrefix() {
        let line = ResultLine("streams late_p99_ms=9 late_p9=1")
        #expect(line["late_p9"] == "1")
        #expect(line["late_p99_ms"] == "9")
    }

    @Test func findsTheLastLineOfAKindAfterAReadableReport() {
        let output = "streams: 100 plays\n  stops ok 100\nstreams plays_ok=100 received=4\nnoise\n"
        #expect(ResultLine.last(ofKind: "streams", in: output)?["plays_ok"] == "100")
        #expect(ResultLine.last(ofKind: "live", in: output) == nil)
    }

    @Test func tablesPrintEmptyCellsAsTheDocsHaveThem() {
        var table = MarkdownTable(header: ["Streams", "Playing", "CPU %"])
        table.append(["100", "100", "**3.0**"])
        table.append(["500", "encoder did not start"])
        #expect(
            table.lines == [
                "| Streams | Playing | CPU % |", "|---|---|---|", "| 100 | 100 | **3.0** |",
                "| 500 | encoder did not start | |",
            ]
        )
    }

    @Test func formatsLikePrintf() {
        #expect(Formatting.fixed(2.345, 1) == "2.3")
        #expect(Formatting.fixed(0.05, 2) == "0.05")
        #expect(Formatting.fixed(-0.04, 1) == "0.0")
        #expect(Formatting.fixed(1108.4, 0) == "1108")
        #expect(Formatting.ratio("3.00", "1.50") == "2.00")
        #expect(Formatting.ratio("-", "1.50") == "-")
        #expect(Formatting.ratio("3", "0") == "-")
        #expect(Formatting.rate(from: 100, to: 400, seconds: 10) == "30")
        #expect(Formatting.rate(from: nil, to: 400, seconds: 10) == "-")
    }
}
