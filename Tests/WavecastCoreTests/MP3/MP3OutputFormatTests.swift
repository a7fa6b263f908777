import Testing

@testable import WavecastCore

struct MP3OutputFormatTests {
    @Test func defaultIs8kHz8kbpsMonoMPEG25() {
        let format = MP3OutputFormat.default
        #expect(format.sampleRate == 8000)
        #expect(format.bitrate == 8)
        #expect(format.channels == 1)
        #expect(format.mpegVersion == .mpeg2_5)
        #expect(format.samplesPerFrame == 576)
        #expect(format.frameDuration == .milliseconds(72))
        #expect(format.frameLength == 72)
        #expect(format.description == "8000 Hz 8 kbps mono (MPEG-2.5)")
    }

    @Test func mpeg1Format() throws {
        let format = try MP3OutputFormat(sampleRate: 44100, bitrate: 128, channels: 2)
        #expect(format.mpegVersion == .mpeg1)
        #expect(format.samplesPerFrame == 1152)
        #expect(format.frameLength == 417)
        #expect(format.frameDuration == Duration(secondsComponent: 0, attosecondsComponent: 26_122_448_979_591_836))
    }

    @Test func mpeg2Format() throws {
        let format = try MP3OutputFormat(sampleRate: 22050, bitrate: 32, channels: 1)
        #expect(format.mpegVersion == .mpeg2)
        #expect(format.frameLength == 104)
        #expect(format.samplesPerFrame == 576)
    }

    @Test func acceptsEveryRateWithItsVersionsBitrates() throws {
        let mpeg1Bitrates = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        let lsfBitrates = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
        let rates: [(Int, MPEGVersion, [Int])] = [
            (32000, .mpeg1, mpeg1Bitrates), (44100, .mpeg1, mpeg1Bitrates), (48000, .mpeg1, mpeg1Bitrates),
            (16000, .mpeg2, lsfBitrates), (22050, .mpeg2, lsfBitrates), (24000, .mpeg2, lsfBitrates),
            (8000, .mpeg2_5, lsfBitrates), (11025, .mpeg2_5, lsfBitrates), (12000, .mpeg2_5, lsfBitrates),
        ]
        for (rate, version, bitrates) in rates {
            for bitrate in bitrates {
                for channels in [1, 2] {
                    let format = try MP3OutputFormat(sampleRate: rate, bitrate: bitrate, channels: channels)
                    #expect(format.mpegVersion == version)
                }
            }
            for bitrate in Set(mpeg1Bitrates + lsfBitrates).subtracting(bitrates) {
                #expect(throws: MP3FormatError.unsupportedBitrate(bitrate, sampleRate: rate)) {
                    try MP3OutputFormat(sampleRate: rate, bitrate: bitrate, channels: 1)
                }
            }
        }
        #expect(MPEGVersion.allSampleRates == [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000])
    }

    @Test(arguments: [0, 44000, 96000, -8000, 7999])
    func rejectsSampleRate(rate: Int) {
        let error = #expect(throws: MP3FormatError.unsupportedSampleRate(rate)) {
            try MP3OutputFormat(sampleRate: rate, bitrate: 8, channels: 1)
        }
        #expect(error?.code == "mp3.unsupported_sample_rate")
        #expect(
            error?.description
                == "MP3 cannot carry a sample rate of \(rate) Hz; use one of "
                + "8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000 Hz"
        )
    }

    @Test func bitrateErrorNamesTheVersionAndItsBitrates() {
        let low = #expect(throws: MP3FormatError.self) {
            try MP3OutputFormat(sampleRate: 8000, bitrate: 192, channels: 1)
        }
        #expect(low?.code == "mp3.unsupported_bitrate")
        #expect(
            low?.description
                == "MP3 at 8000 Hz is MPEG-2.5, which has no bitrate of 192 kbps; use one of "
                + "8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160 kbps"
        )
        let high = #expect(throws: MP3FormatError.self) {
            try MP3OutputFormat(sampleRate: 44100, bitrate: 8, channels: 1)
        }
        #expect(
            high?.description
                == "MP3 at 44100 Hz is MPEG-1, which has no bitrate of 8 kbps; use one of "
                + "32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320 kbps"
        )
        let mpeg2 = #expect(throws: MP3FormatError.self) {
            try MP3OutputFormat(sampleRate: 24000, bitrate: 320, channels: 1)
        }
        #expect(mpeg2?.description.contains("is MPEG-2,") == true)
    }

    @Test(arguments: [0, 3, -1, 6])
    func rejectsChannelCount(channels: Int) {
        let error = #expect(throws: MP3FormatError.unsupportedChannelCount(channels)) {
            try MP3OutputFormat(sampleRate: 8000, bitrate: 8, channels: channels)
        }
        #expect(error?.code == "mp3.unsupported_channel_count")
        #expect(error?.description.contains("not \(channels)") == true)
    }
}
