export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociImageConfig: 'application/vnd.oci.image.config.v1+json',
  dockerImageConfig: 'application/vnd.docker.container.image.v1+json',
  wasmConfig: 'application/vnd.wasm.config.v0+json',
  wasm: 'application/wasm',
  wasmComponent: 'application/vnd.wasm.component.v1',
  bytecodeallianceComponentLayer: 'application/vnd.bytecodealliance.wasm.component.layer.v0+wasm',
  wasmPolicy: 'application/vnd.wasm.policy.v1+yaml',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerLayerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
];

export const INDEX_MEDIA_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];

/** Layer types that hold a WebAssembly binary directly. */
export const WASM_LAYER_MEDIA_TYPES: readonly string[] = [
  MediaType.wasm,
  MediaType.wasmComponent,
  MediaType.bytecodeallianceComponentLayer,
];

/** Layer types of ordinary images that may hold one .wasm file in a tar. */
export const TAR_LAYER_MEDIA_TYPES: readonly string[] = [
  MediaType.ociLayerTar,
  MediaType.ociLayerTarGzip,
  MediaType.dockerLayerTarGzip,
  'application/vnd.docker.image.rootfs.diff.tar',
];

export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType);
}

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.includes(mediaType);
}

/** Manifests are small; anything larger is refused before it is read (distribution-spec suggests 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Configs of wasm artifacts are small too. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
