// Builds denocat's native libraries with zig 0.11 (the API of that release):
//   libdenocat.so                  the trampoline catalogue (c/denocat/*.c)
//   libdenocat_host.so             the native ABI test host (c/host/*.c)
//   libdenocat_reference_abi6.so   hand-written C mechanisms, ABI 0.6 layout (c/reference.c)
//   libdenocat_reference_abi7.so   the same, ABI 0.7 layout
// `deno task build` runs `zig build -Doptimize=ReleaseFast`; output lands in zig-out/lib.
// `deno task build:all` runs `zig build -Dtarget=<target> -Doptimize=ReleaseFast -Dstrip=true
// --prefix <dir>` per supported target and commits the result to prebuilt/ (see tools/build_all.ts).
const std = @import("std");

// -ffp-contract=off: Arbor's release builds target baseline x86-64 (no FMA), so a contracted
// a*b+c would round differently from Arbor; we keep every operation separately rounded.
// The parts of the native test host, in the order of c/host/internal.h. tests/mirrors_test.ts checks
// that this list is exactly the .c files of c/host/ (the sanitizer builds read that folder).
const host_sources = [_][]const u8{
    "c/host/helpers.c",
    "c/host/create.c",
    "c/host/load.c",
    "c/host/place.c",
    "c/host/stimuli.c",
    "c/host/random.c",
    "c/host/instantiate.c",
    "c/host/group.c",
    "c/host/step.c",
};

// The parts of the trampoline catalogue, in the order of c/denocat/internal.h; checked like host_sources.
const catalogue_sources = [_][]const u8{
    "c/denocat/declare.c",
    "c/denocat/layout.c",
    "c/denocat/instances.c",
    "c/denocat/calls.c",
    "c/denocat/catalogue.c",
};

const c_flags = [_][]const u8{ "-std=c11", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", "-fno-fast-math" };

pub fn build(b: *std.Build) void {
    // Baseline CPU unless -Dtarget says otherwise: like Arbor's own builds, the libraries must run
    // on any x86_64/aarch64 machine, not only on the one that built them (no AVX-512 surprises).
    const target = b.standardTargetOptions(.{ .default_target = .{ .cpu_model = .baseline } });
    const optimize = b.standardOptimizeOption(.{});
    // -Dstrip=true drops debug info (and with it the checkout's absolute paths), so that the
    // prebuilt libraries of `deno task build:all` are byte-identical from any checkout folder.
    const strip = b.option(bool, "strip", "Strip debug info (prebuilt libraries)") orelse false;

    const catalogue = b.addSharedLibrary(.{ .name = "denocat", .target = target, .optimize = optimize });
    catalogue.addCSourceFiles(&catalogue_sources, &c_flags);
    catalogue.linkLibC();
    catalogue.strip = strip;
    b.installArtifact(catalogue);

    const host = b.addSharedLibrary(.{ .name = "denocat_host", .target = target, .optimize = optimize });
    host.addCSourceFiles(&host_sources, &c_flags);
    host.linkLibC();
    host.strip = strip;
    b.installArtifact(host);

    inline for (.{ "6", "7" }) |abi| {
        const reference = b.addSharedLibrary(.{ .name = "denocat_reference_abi" ++ abi, .target = target, .optimize = optimize });
        reference.addCSourceFiles(&.{"c/reference.c"}, &(c_flags ++ [_][]const u8{"-DDENOCAT_COMPILED_ABI=" ++ abi}));
        reference.linkLibC();
        reference.strip = strip;
        b.installArtifact(reference);
    }
}
