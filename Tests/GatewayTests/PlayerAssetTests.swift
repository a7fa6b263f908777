import Foundation
import Testing
import WavecastTestSupport

@testable import Gateway

/// The player page's files, served by a running gateway over real HTTP: each with its type, its
/// caching policy and an entity tag that a revalidation answers with 304.
@Suite struct PlayerAssetTests {
    static let files: [(path: String, type: String)] = [
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/player.css", "text/css; charset=utf-8"),
        ("/player-core.js", "text/javascript; charset=utf-8"),
        ("/player.js", "text/javascript; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
        ("/favicon.ico", "image/svg+xml"),
    ]

    @Test func everyFileIsServedWithItsTypeCachingAndTag() async throws {
        try await GatewayFixture.with { fixture in
            for (path, type) in Self.files {
                let response = try await fixture.gateway.get(path)
                #expect(response.status == 200, "\(path)")
                #expect(response.header("Content-Type") == type, "\(path)")
                #expect(response.body.utf8.count == PlayerAsset.at(path: path)?.bytes.count, "\(path): the whole file")
                let tag = try #require(response.header("ETag"), "\(path) has no ETag")
                #expect(tag.wholeMatch(of: /"[0-9a-f]{16}"/) != nil, "\(path): \(tag)")
                let expectedCaching = path.hasPrefix("/favicon") ? "public, max-age=86400" : "no-cache"
                #expect(response.header("Cache-Control") == expectedCaching, "\(path)")
            }
        }
    }

    @Test func aCurrentCopyIsAnsweredWith304AndNoBody() async throws {
        try await GatewayFixture.with { fixture in
            let port = fixture.gateway.port
            let tag = try #require(try await fixture.gateway.get("/player.js").header("ETag"))
            for ifNoneMatch in [tag, "\"0000000000000000\", \(tag)", "*", "W/\(tag)", "\t\(tag)"] {
                let response = try await blocking {
                    try RawWebSocket.request(
                        port: port,
                        "GET /player.js HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: \(ifNoneMatch)\r\nConnection: close\r\n\r\n"
                    )
                }
                #expect(response.status == 304, "If-None-Match: \(ifNoneMatch)")
                #expect(response.body.isEmpty)
                #expect(response.header("Content-Length") == nil)
                #expect(response.header("ETag") == tag)
            }
            // A tag of another version: the whole file.
            let stale = try await blocking {
                try RawWebSocket.request(
                    port: port,
                    "GET /player.js HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: \"0000000000000000\"\r\nConnection: close\r\n\r\n"
                )
            }
            #expect(stale.status == 200)
            #expect(!stale.body.isEmpty)
        }
    }

    @Test func everyFileThePageNamesIsServed() async throws {
        // A file the page names and the gateway does not serve is a 404 in every browser's console.
        try await GatewayFixture.with { fixture in
            let page = try await fixture.gateway.get("/").body
            let named = page.matches(of: /(?:href|src)="(\/[^"]*)"/).map { String($0.output.1) }
            #expect(Set(named) == ["/player.css", "/favicon.svg", "/player-core.js", "/player.js"])
            for path in named {
                #expect(try await fixture.gateway.get(path).status == 200, "\(path)")
            }
        }
    }

    @Test func theTagFollowsTheBytes() {
        let one = PlayerAsset(Array("a".utf8), contentType: "text/plain")
        let same = PlayerAsset(Array("a".utf8), contentType: "text/plain")
        let other = PlayerAsset(Array("b".utf8), contentType: "text/plain")
        #expect(one.entityTag == same.entityTag)
        #expect(one.entityTag != other.entityTag)
        #expect(PlayerAsset.at(path: "/nothing") == nil)
    }
}
