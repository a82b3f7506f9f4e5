// Where the API is mounted. The app serves its routes under it, the OpenAPI document lists them
// under it, and records that point into the API (a media record's storage_url) are built with it.
export const API_PREFIX = '/api/v1';
