/// A file of the player page (`Sources/Gateway/Player/`), embedded in the binary at build time, with
/// what a `GET` of it is answered with: its type, its caching policy and an entity tag.
///
/// The page is plain HTML, CSS and JavaScript with no build step; SwiftPM's `embedInCode` resources
/// put the bytes in the executable, so a gateway needs no files beside it (a static binary in a
/// scratch container serves the same page). `GET /` lists the live streams and plays one:
/// `/?stream=ID` opens it, `&autoplay=1` starts it without a click where the browser allows, and
/// `&path=mse|managed|webaudio` forces a playback path. The page exposes its state as
/// `window.wavecast` for tests.
struct PlayerAsset: Sendable {
    /// The file's bytes.
    let bytes: [UInt8]
    /// The `Content-Type` it is served with.
    let contentType: String
    /// The `Cache-Control` it is served with.
    let cacheControl: String
    /// A strong entity tag (quoted) derived from the bytes: a request whose `If-None-Match` names it gets a 304.
    let entityTag: String

    init(_ bytes: [UInt8], contentType: String, cacheControl: String = Self.revalidate) {
        self.bytes = bytes
        self.contentType = contentType
        self.cacheControl = cacheControl
        // FNV-1a over the bytes: stable across runs and builds, which Hasher (seeded per process) is not.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        self.entityTag = "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    /// The page and its scripts may change with any gateway version: browsers keep them but ask again each time
    /// (a 304 when unchanged), so an upgrade is seen at the next load, never a stale script with a new page.
    static let revalidate = "no-cache"

    /// The asset served at `path`, if any.
    static func at(path: String) -> PlayerAsset? {
        Self.byPath[path]
    }

    private static let byPath: [String: PlayerAsset] = {
        let page = PlayerAsset(PackageResources.index_html, contentType: "text/html; charset=utf-8")
        let icon = PlayerAsset(
            PackageResources.favicon_svg,
            contentType: "image/svg+xml",
            cacheControl: "public, max-age=86400"
        )
        return [
            "/": page,
            "/index.html": page,
            "/player.css": PlayerAsset(PackageResources.player_css, contentType: "text/css; charset=utf-8"),
            "/player-core.js": PlayerAsset(
                PackageResources.player_core_js,
                contentType: "text/javascript; charset=utf-8"
            ),
            "/player.js": PlayerAsset(PackageResources.player_js, contentType: "text/javascript; charset=utf-8"),
            "/favicon.svg": icon,
            // What browsers ask for when a page names no icon; this one does, but other pages of the host may not.
            "/favicon.ico": icon,
        ]
    }()
}
