import Testing
import WavecastCore

/// `WAVECAST_*` variables as option defaults.
struct EnvironmentDefaultsTests {
    @Test func namesVariablesAfterOptions() {
        #expect(EnvironmentDefaults.variable(for: "ingest") == "WAVECAST_INGEST")
        #expect(EnvironmentDefaults.variable(for: "max-client-lag-ms") == "WAVECAST_MAX_CLIENT_LAG_MS")
    }

    @Test func readsValuesWithFallbacks() {
        let environment = EnvironmentDefaults([
            "WAVECAST_INGEST": "tcp://*:6000",
            "WAVECAST_BITRATE": "16",
            "WAVECAST_BIT_RESERVOIR": "yes",
            "WAVECAST_BUS": "tcp://a:5556, tcp://b:5556,",
            "WAVECAST_EMPTY": "",
        ])
        #expect(environment.string("ingest", "x") == "tcp://*:6000")
        #expect(environment.string("publish", "tcp://*:5556") == "tcp://*:5556")
        #expect(environment.string("empty", "fallback") == "fallback")
        #expect(environment.integer("bitrate", 8) == 16)
        #expect(environment.integer("quality", 5) == 5)
        #expect(environment.flag("bit-reservoir", false))
        #expect(environment.list("bus", []) == ["tcp://a:5556", "tcp://b:5556"])
        #expect(environment.problems(integers: ["bitrate"], flags: ["bit-reservoir"]).isEmpty)
    }

    @Test func reportsValuesThatDoNotParse() {
        let environment = EnvironmentDefaults(["WAVECAST_BITRATE": "eight", "WAVECAST_BIT_RESERVOIR": "maybe"])
        #expect(environment.integer("bitrate", 8) == 8)
        #expect(
            environment.problems(integers: ["bitrate"], flags: ["bit-reservoir"]) == [
                "WAVECAST_BITRATE='eight' is not a whole number",
                "WAVECAST_BIT_RESERVOIR='maybe' is not true/false (or 1/0, yes/no, on/off)",
            ]
        )
    }
}
