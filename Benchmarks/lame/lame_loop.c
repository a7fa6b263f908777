// LAME alone, at the encoder's live settings: what a 20 ms `pcm` piece costs before any of Wavecast's own work.
//
//   make -C Benchmarks/lame && Benchmarks/lame/lame_loop 1000 4    # 1,000 encoders interleaved, 4 s of audio each
//
// Each encoder is set up as the encoder service sets up a live stream's (8 kHz mono in and out, 8 kbit/s CBR,
// quality 5, bit reservoir off, no Xing tag) and fed 160-sample pieces of a continuous 440 Hz tone, the encoders
// taking turns piece by piece, as the encoder's threads do. Prints the process's CPU time per piece
// (docs/BENCHMARKS.md, "Live PCM: does the encoder keep real time?").
#include <lame/lame.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    int encoders = argc > 1 ? atoi(argv[1]) : 1000;
    int seconds = argc > 2 ? atoi(argv[2]) : 5;
    if (encoders < 1 || seconds < 1) {
        fprintf(stderr, "usage: lame_loop [ENCODERS ≥ 1] [SECONDS ≥ 1]\n");
        return 2;
    }
    lame_t *lame = calloc((size_t)encoders, sizeof *lame);
    if (lame == NULL) return 1;
    for (int i = 0; i < encoders; i++) {
        lame[i] = lame_init();
        if (lame[i] == NULL) return 1;
        lame_set_num_channels(lame[i], 1);
        lame_set_in_samplerate(lame[i], 8000);
        lame_set_out_samplerate(lame[i], 8000);
        lame_set_mode(lame[i], MONO);
        lame_set_VBR(lame[i], vbr_off);
        lame_set_brate(lame[i], 8);
        lame_set_quality(lame[i], 5);
        lame_set_bWriteVbrTag(lame[i], 0);
        lame_set_disable_reservoir(lame[i], 1);
        if (lame_init_params(lame[i]) < 0) {
            fprintf(stderr, "lame_init_params failed\n");
            return 1;
        }
    }
    float pcm[160];
    unsigned char out[8192];
    long pieces = 0;
    struct timespec start, end;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
    for (int piece = 0; piece < seconds * 50; piece++) {
        for (int k = 0; k < 160; k++) pcm[k] = 0.25f * sinf(2.0f * (float)M_PI * 440.0f * (float)(piece * 160 + k) / 8000.0f);
        for (int i = 0; i < encoders; i++) {
            if (lame_encode_buffer_ieee_float(lame[i], pcm, pcm, 160, out, sizeof out) < 0) return 1;
            pieces++;
        }
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
    double micros = ((double)(end.tv_sec - start.tv_sec) * 1e9 + (double)(end.tv_nsec - start.tv_nsec)) / 1e3;
    printf("%d encoders, %ld pieces: %.2f µs of CPU per 20 ms piece (%.3f ms per second of audio)\n", encoders, pieces,
           micros / (double)pieces, micros / (double)pieces * 50 / 1000);
    for (int i = 0; i < encoders; i++) lame_close(lame[i]);
    free(lame);
    return 0;
}
