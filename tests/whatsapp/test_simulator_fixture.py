import httpx


def test_fixture_serves_the_welcome_page(evolution_simulator):
    answer = httpx.get(evolution_simulator.url + "/")
    assert answer.status_code == 200
    assert answer.json()["version"] == "2.3.7"


def test_reset_restores_the_test_switches(evolution_simulator):
    evolution_simulator.control.configure(error_rate=1.0)
    evolution_simulator.control.reset()
    assert evolution_simulator.control.config()["error_rate"] == 0.0
