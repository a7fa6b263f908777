import Testing
import WavecastCore
import ZeroMQ

@testable import Encoder

/// What a feeder's CURVE key allows, as the machine checks it: prefixes, revocation, quotas.
extension EncoderStateMachineTests {
    // MARK: Keys

    @Test func aKeyLimitedToAPrefixIsRefusedEveryOtherStream() throws {
        var fixture = Fixture()
        let alice = FeederAccess.granted(FeederGrant(name: "alice", streamPrefix: "alice-"))
        #expect(fixture.request(#"{"op":"play","stream":"alice-1"}"#, payload: [1], from: alice).onlyJob != nil)
        for header in [
            #"{"op":"play","stream":"bob-1"}"#, #"{"op":"stop","stream":"bob-1"}"#,
            #"{"op":"status","stream":"bob-1"}"#, #"{"op":"close","stream":"bob-1"}"#,
        ] {
            let payload: [UInt8]? = header.contains("play") ? [1] : nil
            let refusal = try #require(fixture.request(header, payload: payload, from: alice).onlyReplyAction)
            #expect(refusal.refusal == "forbidden_stream", "\(header)")
        }
        // `status` without a stream is answered, with only the key's own streams.
        let status = try #require(fixture.request(#"{"op":"status"}"#, from: alice).onlyReplyAction)
        #expect(status.refusal == nil)
    }

    @Test func aRevokedKeyIsRefusedEverything() throws {
        var fixture = Fixture()
        let refusal = try #require(fixture.request(#"{"op":"status"}"#, from: .revoked).onlyReplyAction)
        #expect(refusal.refusal == "key_revoked")
    }

    @Test func aKeysStreamQuotaCountsItsStreamsAndFreesWhenOneIsGone() throws {
        var fixture = Fixture()
        let carol = FeederAccess.granted(FeederGrant(name: "carol", maxStreams: 1))
        let job = try #require(fixture.request(#"{"op":"play","stream":"c1"}"#, payload: [1], from: carol).onlyJob)
        let second = try #require(
            fixture.request(#"{"op":"play","stream":"c2"}"#, payload: [1], from: carol).onlyReplyAction
        )
        #expect(second.refusal == "quota_exceeded")
        // More audio for the stream it has is not a new stream; other keys are not counted against it.
        let more = try #require(fixture.request(#"{"op":"play","stream":"c1"}"#, payload: [1], from: carol).onlyJob)
        #expect(fixture.request(#"{"op":"play","stream":"x"}"#, payload: [1]).onlyJob != nil)
        // A play that fails to encode leaves no stream behind, so it frees its place.
        for job in [job, more] {
            _ = fixture.result(job, .failed(IngestError(code: "invalid_wav", message: "bad")))
        }
        #expect(fixture.request(#"{"op":"play","stream":"c2"}"#, payload: [1], from: carol).onlyJob != nil)
    }

    @Test func aKeysRequestRateIsCappedAndRefills() throws {
        var fixture = Fixture()
        let dave = FeederAccess.granted(FeederGrant(name: "dave", maxRequestsPerSecond: 3))
        let codes = (0..<5).map { _ in fixture.request(#"{"op":"status"}"#, from: dave).onlyReplyAction?.refusal }
        #expect(codes == [nil, nil, nil, "rate_limited", "rate_limited"])
        // A third of a second refills one request.
        #expect(
            fixture.request(#"{"op":"status"}"#, from: dave, at: Self.at(milliseconds: 340)).onlyReplyAction?.refusal
                == nil
        )
        #expect(
            fixture.request(#"{"op":"status"}"#, from: dave, at: Self.at(milliseconds: 340)).onlyReplyAction?.refusal
                == "rate_limited"
        )
    }

    @Test func aCertificateWithAnEmptyPrefixOrABadQuotaIsRefusedNotWidened() throws {
        let keys = try CurveKeyPair.generate()
        for (metadata, reason) in [
            (["streams": ""], "streams is empty"),
            (["max-streams": "0"], "max-streams"),
            (["max-requests-per-second": "lots"], "max-requests-per-second"),
        ] {
            let certificate = CurveCertificate(keys: keys, includingSecret: false, metadata: metadata)
            #expect {
                try FeederGrant(name: "k", certificate: certificate, path: "k.key")
            } throws: { "\($0)".contains(reason) }
        }
    }
}
