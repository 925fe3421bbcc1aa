"""deploy/k8s: the production overlay rendered by kustomize, validated against the Kubernetes
schemas (kubernetes-validate) and checked for what the operations guide promises."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from shared.components import services, workers
from tests.deploy.k8s_support import K8S, OVERLAY, ROOT, copy_with_example_secrets, render

# The oldest Kubernetes release we promise to run on, and the newest the schemas know.
K8S_VERSIONS = ("1.30", "1.37")
ENVIRONMENT = yaml.safe_load((K8S / OVERLAY / "environment.yaml").read_text())["spec"]
PREFIXES = ("/intake", "/matching", "/rapportage")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_with_example_secrets(tmp_path_factory.mktemp("k8s"))


@pytest.fixture(scope="module")
def docs(tree: Path) -> list[dict[str, Any]]:
    return render(tree)


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_rendered_manifest_matches_the_kubernetes_schema(docs, version):
    assert len(docs) > 20
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_rejects_a_broken_manifest(docs):
    deployment = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    misspelt = copy.deepcopy(deployment)
    misspelt["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"periodSeconds": 5}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, K8S_VERSIONS[-1], strict=True)
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1])


def test_a_web_and_worker_deployment_per_service_with_its_pdb(docs):
    deployments = of_kind(docs, "Deployment")
    pdbs = of_kind(docs, "PodDisruptionBudget")
    expected = {f"{c.name}-web" for c in services()} | {f"{c.name}-worker" for c in workers()}
    # A service added to shared/components.py needs its block in deploy/k8s/base (copy intake.yaml).
    assert set(deployments) == expected
    assert set(pdbs) == expected
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert pdbs[name]["spec"]["selector"]["matchLabels"] == selector
        assert all(deployment["spec"]["template"]["metadata"]["labels"][k] == v for k, v in selector.items())
    assert all(deployments[f"{c.name}-web"]["spec"]["replicas"] >= 2 for c in services())


def test_pods_run_locked_down(docs):
    for name, spec in pod_specs(docs).items():
        assert spec["automountServiceAccountToken"] is False, name
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] >= 10000, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        mounts_by_volume = {v["name"]: v for v in spec["volumes"]}
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{name}/{container['name']}"
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["capabilities"] == {"drop": ["ALL"]}, where
            assert sc.get("privileged") is False, where
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(
                resources["limits"]
            ), where
            assert container["image"].startswith("registry.example.nl/instap/instap:"), where
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in mounts_by_volume[mounts["/tmp"]], where
    service_accounts = of_kind(docs, "ServiceAccount")
    assert service_accounts["instap"]["automountServiceAccountToken"] is False


def test_web_pods_probe_their_own_prefix_and_keep_metrics_in_a_shared_directory(docs):
    deployments = of_kind(docs, "Deployment")
    for comp in services():
        spec = deployments[f"{comp.name}-web"]["spec"]["template"]["spec"]
        [web] = spec["containers"]
        assert web["command"][-1] == f"services.{comp.name}.wsgi:app"
        assert web["livenessProbe"]["httpGet"]["path"] == f"/{comp.name}/healthz"
        assert web["readinessProbe"]["httpGet"]["path"] == f"/{comp.name}/readyz"
        env = {e["name"]: e["value"] for e in web["env"]}
        multiproc = env["PROMETHEUS_MULTIPROC_DIR"]
        volume = next(m["name"] for m in web["volumeMounts"] if m["mountPath"] == multiproc)
        assert "emptyDir" in next(v for v in spec["volumes"] if v["name"] == volume)
        annotations = deployments[f"{comp.name}-web"]["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/path"] == f"/{comp.name}/metrics"
        assert spec["initContainers"][0]["command"][:2] == ["instap", "wait-for-schema"]
    for comp in workers():
        [worker] = deployments[f"{comp.name}-worker"]["spec"]["template"]["spec"]["containers"]
        assert worker["command"] == ["instap", "worker", comp.name]
        env = {e["name"]: e["value"] for e in worker["env"]}
        assert env["INSTAP_METRICS_PORT"] == "9100"
        assert "livenessProbe" in worker


def test_migration_job_runs_instap_migrate_before_the_rollout(docs):
    job = of_kind(docs, "Job")["instap-migrate"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["instap", "migrate"]
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_config_and_secret_references_resolve(docs):
    config_maps = of_kind(docs, "ConfigMap")
    secrets = of_kind(docs, "Secret")
    [config_name] = config_maps
    [secret_name] = secrets
    assert config_name.startswith("instap-config-") and secret_name.startswith("instap-secrets-")
    for name, spec in pod_specs(docs).items():
        for container in spec.get("initContainers", []) + spec["containers"]:
            refs = container["envFrom"]
            assert {"configMapRef": {"name": config_name}} in refs, name
            assert {"secretRef": {"name": secret_name}} in refs, name
    config = config_maps[config_name]["data"]
    assert config["INSTAP_ENV"] == "production"
    assert config["GUNICORN_WORKERS"] == "3", "the overlay's config.env merges over the base"
    example_keys = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    secret_keys = set(secrets[secret_name]["data"])
    assert set(config) | secret_keys <= example_keys, "every key is documented in .env.example"
    assert {"INSTAP_SECRET_KEY", "PGPASSWORD", "REDIS_URL", "OIDC_CLIENT_SECRET"} <= secret_keys
    assert not set(config) & {"INSTAP_SECRET_KEY", "PGPASSWORD", "OIDC_CLIENT_SECRET", "REDIS_URL"}
    for key in ("ACCOUNTS_DATABASE_URL", "INTAKE_DATABASE_URL", "MATCHING_DATABASE_URL"):
        assert re.fullmatch(r"postgresql\+psycopg://[^:@/]+@[^/]+/\w+(\?.*)?", config[key]), (
            "no password in a URL"
        )


def test_no_secret_value_is_committed():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "deploy/k8s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "deploy/k8s is not in git"
    assert not [f for f in tracked if f.endswith("secrets.env")]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", f"deploy/k8s/{OVERLAY}/secrets.env"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, "secrets.env must be git-ignored"
    for path in K8S.rglob("*.yaml"):
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert not [d for d in docs if d.get("kind") == "Secret"], path
    example = (K8S / OVERLAY / "secrets.env.example").read_text()
    assert re.search(r"^INSTAP_SECRET_KEY=$", example, re.M)
    assert re.search(r"^OIDC_CLIENT_SECRET=$", example, re.M)
    assert re.search(r"^PGPASSWORD=$", example, re.M)


def test_ingress_routes_the_three_prefixes_and_never_metrics(docs):
    ingresses = of_kind(docs, "Ingress")
    main = ingresses["instap"]
    [rule] = main["spec"]["rules"]
    assert rule["host"] == ENVIRONMENT["host"] == main["spec"]["tls"][0]["hosts"][0]
    paths = {p["path"]: p for p in rule["http"]["paths"]}
    assert set(paths) == set(PREFIXES)
    services_by_name = of_kind(docs, "Service")
    for prefix, path in paths.items():
        assert path["pathType"] == "Prefix"
        backend = path["backend"]["service"]
        assert backend["name"] == f"{prefix[1:]}-web"
        if backend["name"] in services_by_name:  # rapportage: added with its service
            assert backend["port"]["name"] in {
                p["name"] for p in services_by_name[backend["name"]]["spec"]["ports"]
            }
    blocked = ingresses["instap-metrics-blocked"]
    assert (
        blocked["metadata"]["annotations"]["nginx.ingress.kubernetes.io/denylist-source-range"]
        == "0.0.0.0/0,::/0"
    )
    blocked_paths = {(p["path"], p["pathType"]) for p in blocked["spec"]["rules"][0]["http"]["paths"]}
    assert blocked_paths == {(f"{prefix}/metrics", "Exact") for prefix in PREFIXES}
    assert blocked["spec"]["rules"][0]["host"] == rule["host"]
    for ingress in ingresses.values():
        for annotation in ingress["metadata"].get("annotations", {}):
            assert "snippet" not in annotation, "snippets are disabled in current ingress-nginx"


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        if expression["operator"] == "In" and labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def test_network_policies_let_only_database_and_redis_clients_out(docs):
    policies = of_kind(docs, "NetworkPolicy")
    default = policies["default-deny"]["spec"]
    assert default["podSelector"] == {} and set(default["policyTypes"]) == {"Ingress", "Egress"}
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }

    def egress_to(port: int) -> set[str]:
        reached = set()
        for policy in policies.values():
            for rule in policy["spec"].get("egress", []):
                if any(p["port"] == port for p in rule.get("ports", [])):
                    reached |= {
                        n for n, labels in pods.items() if _selects(policy["spec"]["podSelector"], labels)
                    }
        return reached

    web_and_workers = {f"{c.name}-web" for c in services()} | {f"{c.name}-worker" for c in workers()}
    assert egress_to(ENVIRONMENT["postgres"]["port"]) == web_and_workers | {"instap-migrate"}
    assert egress_to(ENVIRONMENT["redis"]["port"]) == web_and_workers
    assert egress_to(443) == {f"{c.name}-web" for c in services()}
    postgres = policies["postgres-clients"]["spec"]["egress"]
    assert postgres == [
        {
            "to": [{"ipBlock": {"cidr": ENVIRONMENT["postgres"]["cidr"]}}],
            "ports": [{"protocol": "TCP", "port": ENVIRONMENT["postgres"]["port"]}],
        }
    ]
    assert policies["redis-clients"]["spec"]["egress"][0]["to"] == [
        {"ipBlock": {"cidr": ENVIRONMENT["redis"]["cidr"]}}
    ]
    ingress_from = policies["web-from-ingress"]["spec"]["ingress"][0]["from"][0]
    assert ingress_from["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": ENVIRONMENT["ingressNamespace"]
    }
    scrape = policies["metrics-from-monitoring"]["spec"]["ingress"][0]
    assert scrape["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": ENVIRONMENT["monitoringNamespace"]
    }
    assert {p["port"] for p in scrape["ports"]} == {8000, 9100}
    assert not [d for d in docs if d["kind"] == "InstapEnvironment"], (
        "local-config must not reach the cluster"
    )


def test_matching_worker_autoscales_on_cpu(docs):
    hpa = of_kind(docs, "HorizontalPodAutoscaler")["matching-worker"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "matching-worker"}
    [cpu] = hpa["metrics"]
    assert cpu["resource"]["name"] == "cpu"
    assert hpa["minReplicas"] >= 1 and hpa["maxReplicas"] > hpa["minReplicas"]


def test_optional_queue_length_autoscaling_component(tree: Path):
    overlay = tree / "overlays" / "with-queue-autoscaling"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources: [../production]\ncomponents: [../../components/queue-autoscaling]\n"
    )
    docs = render(tree, "overlays/with-queue-autoscaling")
    hpa = of_kind(docs, "HorizontalPodAutoscaler")["matching-worker"]
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(hpa, version, strict=True)
    external = [m for m in hpa["spec"]["metrics"] if m["type"] == "External"]
    assert external[0]["external"]["metric"]["name"] == "instap_queue_length"
    assert external[0]["external"]["metric"]["selector"]["matchLabels"] == {"queue": "matching"}
    assert [m["type"] for m in hpa["spec"]["metrics"]] == ["Resource", "External"]


def test_namespace_enforces_the_restricted_pod_security_profile(docs):
    namespace = of_kind(docs, "Namespace")["instap"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(d["metadata"].get("namespace") == "instap" for d in docs if d["kind"] != "Namespace")


def test_optional_nightly_backup_component(tree: Path):
    # As an operator enables it: in the environment's own overlay (so its image pin applies).
    overlay = tree / "overlays" / "with-backups"
    shutil.copytree(tree / OVERLAY, overlay)
    with (overlay / "kustomization.yaml").open("a") as kustomization:
        kustomization.write("\ncomponents: [../../components/backup-cronjob]\n")
    docs = render(tree, "overlays/with-backups")
    for doc in docs:
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)
    cron = of_kind(docs, "CronJob")["instap-backup"]
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]
    [container] = pod["spec"]["containers"]
    assert "instap backup --to" in container["command"][-1]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["metadata"]["labels"]["instap.nl/postgres-client"] == "true"
    assert container["image"].startswith("registry.example.nl/instap/instap:")
    assert of_kind(docs, "PersistentVolumeClaim")["instap-backups"]["metadata"]["namespace"] == "instap"
