import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, RoutePath } from "../protocol/names.ts";
import type { UsageUpload } from "../protocol/rest.ts";
import type { FormatName } from "../protocol/usage-formats.ts";
import { errorFromResponse, parseJson, type ApiClient } from "./api.ts";

// POST /api/usage with XMLHttpRequest, the one browser API that reports upload progress. The file is sent as is
// (plain or gzip); the server detects the format unless one is chosen.

export interface UploadProgress {
  loaded: number;
  total: number;
}

export function uploadUsage(
  api: ApiClient,
  file: File,
  format: FormatName | "auto",
  onProgress: (progress: UploadProgress) => void,
): Promise<UsageUpload> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${RoutePath.USAGE}?format=${encodeURIComponent(format)}`);
    const authorization = api.authorization();
    if (authorization !== null) xhr.setRequestHeader("authorization", authorization);
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : file.size });
    xhr.onerror = () => reject(new ApexError(ErrorCode.INTERNAL, "The upload did not reach the server; check the connection and send the file again."));
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as UsageUpload);
        return;
      }
      const error = errorFromResponse(xhr.status, body);
      if (xhr.status === 401) api.unauthorized(error);
      reject(error);
    };
    xhr.send(file);
  });
}
