package dev.polardbbackup.polardb;

import java.util.function.Function;

/** The outcome of one PolarDB API call: a value with its RequestId, or a classified error. */
public sealed interface ApiResult<T> {

  record Ok<T>(T value, String requestId) implements ApiResult<T> {}

  record Failed<T>(ApiError error) implements ApiResult<T> {}

  default boolean isOk() {
    return this instanceof Ok<T>;
  }

  /** The value; only for callers that checked {@link #isOk()}. */
  default T value() {
    if (this instanceof Ok<T> ok) {
      return ok.value();
    }
    throw new IllegalStateException(
        "not a successful result: " + ((Failed<T>) this).error().describe());
  }

  /** The error; only for callers that checked {@code !isOk()}. */
  default ApiError error() {
    if (this instanceof Failed<T> failed) {
      return failed.error();
    }
    throw new IllegalStateException("result is not a failure");
  }

  default <R> ApiResult<R> map(Function<T, R> mapper) {
    if (this instanceof Ok<T> ok) {
      return new Ok<>(mapper.apply(ok.value()), ok.requestId());
    }
    return new Failed<>(((Failed<T>) this).error());
  }
}
