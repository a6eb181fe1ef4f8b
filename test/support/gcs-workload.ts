/** The Fig 10a key-value workload lives with its scenario (scenarios/fig10a-gcs-failover); tests use it from here. */
export * from "../../scenarios/fig10a-gcs-failover/kv-workload.js";
