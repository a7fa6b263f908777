import Testing
import WavecastBench

/// Which sections a run does, at which sizes, from the flags and the WAVECAST_BENCH_* variables.
@Suite struct BenchSettingsTests {
    private func settings(
        encoderOnly: Bool = false,
        gatewayOnly: Bool = false,
        shapesOnly: Bool = false,
        quick: Bool = false,
        _ environment: [String: String] = [:]
    ) throws -> BenchSettings {
        try BenchSettings(
            encoderOnly: encoderOnly,
            gatewayOnly: gatewayOnly,
            shapesOnly: shapesOnly,
            quick: quick,
            environment: environment
        )
    }

    @Test func everySectionInTheShellDriversOrder() throws {
        #expect(
            try self.settings().sections.map(\.description) == [
                "section_encode_speed", "section_encoder_streams", "section_gateway_fanout 1",
                "section_gateway_fanout 4", "section_gateway_latency", "section_security", "section_shapes",
                "section_tier", "section_encoder_live",
            ]
        )
    }

    @Test func theOnlyFlagsChooseTheirFamilies() throws {
        #expect(try self.settings(encoderOnly: true).sections == [.encodeSpeed, .encoderStreams])
        #expect(try self.settings(shapesOnly: true).sections == [.shapes, .tier, .encoderLive])
        let gateway = try self.settings(
            gatewayOnly: true,
            ["WAVECAST_BENCH_CHUNK_FRAMES": "4", "WAVECAST_BENCH_LATENCY": "0"]
        )
        #expect(gateway.sections == [.gatewayFanout(chunkFrames: 4), .security])
        #expect(!(try self.settings(encoderOnly: true).usesGateway))
        #expect(throws: BenchSettingsError.self) { try self.settings(encoderOnly: true, gatewayOnly: true) }
    }

    @Test func quickSizesAndOverrides() throws {
        let quick = try self.settings(quick: true)
        #expect(quick.sizes == .quick)
        #expect(quick.sizes.clientCounts == [500, 1000])
        #expect(quick.quietWaitSeconds == 120)
        let custom = try self.settings(
            quick: true,
            [
                "WAVECAST_BENCH_SHAPES": "1000x2 4000x1", "WAVECAST_BENCH_STREAM_COUNTS": " 8000  16000 ",
                "WAVECAST_BENCH_SERVERS": "gateway", "WAVECAST_BENCH_QUIET_WAIT_S": "5",
                "WAVECAST_BENCH_GATEWAY_OPTIONS": "--threads 1", "WAVECAST_BENCH_ROUNDS": "3",
                "WAVECAST_BENCH_CLIENT_COUNTS": "",
            ]
        )
        #expect(
            custom.sizes.shapes == [StreamShape(streams: 1000, listeners: 2), StreamShape(streams: 4000, listeners: 1)]
        )
        #expect(custom.sizes.streamCounts == [8000, 16000])
        #expect(custom.sizes.clientCounts == [500, 1000])
        #expect(custom.servers == [.gateway])
        #expect(custom.quietWaitSeconds == 5)
        #expect(custom.gatewayOptions == ["--threads", "1"])
        #expect(custom.rounds == 3)
    }

    @Test func sectionsByName() throws {
        let named = try self.settings(
            encoderOnly: true,
            ["WAVECAST_BENCH_SECTIONS": "section_shapes gateway_fanout", "WAVECAST_BENCH_CHUNK_FRAMES": "1"]
        )
        #expect(named.sections == [.shapes, .gatewayFanout(chunkFrames: 1)])
        #expect(named.usesGateway)
        let security = try self.settings(quick: true, ["WAVECAST_BENCH_SECTIONS": "security"])
        #expect(security.sections == [.security])
        #expect(security.usesGateway)
        #expect(security.sizes.securityListeners < BenchSizes.full.securityListeners)
        #expect(BenchSizes.full.securityListeners == 5000 && BenchSizes.full.securityStreams == 4000)
        let sized = try self.settings([
            "WAVECAST_BENCH_SECURITY_LISTENERS": "2000", "WAVECAST_BENCH_SECURITY_STREAMS": "8000",
            "WAVECAST_BENCH_SECURITY_GATEWAY_STREAMS": "1500", "WAVECAST_BENCH_SECURITY_HANDSHAKES": "300",
        ])
        #expect(sized.sizes.securityListeners == 2000 && sized.sizes.securityStreams == 8000)
        #expect(sized.sizes.securityGatewayStreams == 1500 && sized.sizes.handshakes == 300)
        #expect(throws: BenchSettingsError.self) { try self.settings(["WAVECAST_BENCH_SECURITY_STREAMS": "0"]) }
    }

    /// The bus proxy is off by default, and so is its section: it runs only when named.
    @Test func theProxySectionRunsOnlyWhenNamed() throws {
        #expect(!(try self.settings().sections.contains(.proxy)))
        let proxy = try self.settings(["WAVECAST_BENCH_SECTIONS": "proxy", "WAVECAST_BENCH_PROXY_STREAMS": "500 2000"])
        #expect(proxy.sections == [.proxy])
        #expect(!proxy.usesGateway)
        #expect(proxy.sizes.proxyStreams == [500, 2000])
        #expect(try self.settings(quick: true).sizes.proxyStreams == [250])
        #expect(throws: BenchSettingsError.self) { try self.settings(["WAVECAST_BENCH_PROXY_STREAMS": "-1"]) }
    }

    @Test func badValuesSayWhatIsExpected() {
        #expect(throws: BenchSettingsError.self) { try self.settings(["WAVECAST_BENCH_SECTIONS": "section_nope"]) }
        #expect(throws: BenchSettingsError.self) { try self.settings(["WAVECAST_BENCH_SHAPES": "1000by2"]) }
        #expect(throws: BenchSettingsError.self) { try self.settings(["WAVECAST_BENCH_STREAM_COUNTS": "0"]) }
        #expect(throws: BenchSettingsError.self) { try self.settings(["WAVECAST_BENCH_SERVERS": "nginx"]) }
    }
}
